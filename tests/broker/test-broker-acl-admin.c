/* rmq-broker integration: the plain ACL admin codes (docs/protocol.md §16.5),
 * UPDATE_AND_CREATE_ACL_CONFIG (50), DELETE_ACL_CONFIG (51),
 * GET_BROKER_CLUSTER_ACL_INFO (52), UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53),
 * GET_BROKER_CLUSTER_ACL_CONFIG (54), over the socket: each edit answers as
 * Java does, changes what accounts may do at once, rewrites plain_acl.yml
 * atomically (a new inode, the old mode, no temporary file left) with the
 * dataVersion bumped, and a fresh broker reading the file gets the same
 * rules. Non-admin accounts are refused with Java's remark; with aclEnable
 * false the codes answer their failure codes. And a slave whose address is
 * not white-listed copies its master's topics and offsets by signing its
 * metadata sync with the accessKey/secretKeyFile of its config. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

#include "acl-support.h"
#include "acl/plain_config.h"
#include "acl/sign.h"
#include "remoting/codes.h"

#define NEW_AK "newUser001"
#define NEW_SK "newSecret001"

#define ACL_V1 \
    "# comments do not survive an edit (Java rewrites the file too)\n" \
    BK_ACL_ACCOUNTS \
    "      - AclBoth=PUB|SUB\n"

static BkDaemon *br;
static RmqClient *client;
static gchar *acl_path;

static BkDaemon *
acl_broker(void)
{
    BkDaemon *d = bk_broker_new(NULL, NULL);
    bk_acl_enable(d, acl_path);
    return d;
}

static int
setup(void **state)
{
    (void) state;
    g_autofree gchar *dir = g_dir_make_tmp("rmq-acl-admin-XXXXXX", NULL);
    acl_path = g_build_filename(dir, "plain_acl.yml", NULL);
    g_assert(g_file_set_contents(acl_path, ACL_V1, -1, NULL));
    g_assert(g_chmod(acl_path, 0640) == 0);
    br = acl_broker();
    if (!bk_daemon_start_or_say(br, 10000))
        return -1;
    client = rmq_client_new(NULL);
    bk_acl_sign_requests(client);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(br);
    g_autofree gchar *dir = g_path_get_dirname(acl_path);
    g_unlink(acl_path);
    g_rmdir(dir);
    g_free(acl_path);
    return 0;
}

static RmqCommand *
send_to(const gchar *addr, const gchar *topic)
{
    return bk_acl_send(client, addr, topic, "PG");
}

static void
assert_code(const RmqCommand *r, gint32 code, const gchar *remark_part)
{
    assert_non_null(r);
    if (r->code != code ||
        (remark_part != NULL && (r->remark == NULL || strstr(r->remark, remark_part) == NULL)))
        fail_msg("expected code %d remark '%s', got code %d remark '%s'", code,
                 remark_part != NULL ? remark_part : "", r->code,
                 r->remark != NULL ? r->remark : "(null)");
}

static RmqAclConfig *
load_file(void)
{
    g_autoptr(GError) error = NULL;
    RmqAclConfig *c = rmq_acl_config_load(acl_path, &error);
    if (c == NULL)
        fail_msg("%s", error->message);
    return c;
}

static void
assert_no_temporary_files(void)
{
    g_autofree gchar *dirname = g_path_get_dirname(acl_path);
    g_autoptr(GDir) dir = g_dir_open(dirname, 0, NULL);
    assert_non_null(dir);
    const gchar *name;
    while ((name = g_dir_read_name(dir)) != NULL)
        if (strcmp(name, "plain_acl.yml") != 0)
            fail_msg("left over in %s: %s", dirname, name);
}

/* 50 for a new account: written, taken at once, the version moves on */
static void
test_create_account(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) before = load_file();
    GStatBuf st0;
    assert_int_equal(g_stat(acl_path, &st0), 0);

    bk_acl_as(NEW_AK, NEW_SK);
    g_autoptr(RmqCommand) unknown = send_to(br->addr, "AclT1");
    bk_acl_assert_refused(unknown, "No acl config for " NEW_AK);

    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) r = bk_invoke(
        client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, "accessKey", NEW_AK,
        "secretKey", NEW_SK, "admin", "false", "defaultTopicPerm", "DENY", "defaultGroupPerm",
        "SUB", "topicPerms", "AclT1=PUB,AclT3=SUB", NULL);
    assert_code(r, RMQ_RESPONSE_SUCCESS, NULL);

    bk_acl_as(NEW_AK, NEW_SK);
    g_autoptr(RmqCommand) ok = send_to(br->addr, "AclT1");
    bk_acl_assert_passed(ok);
    g_autoptr(RmqCommand) sub_only = send_to(br->addr, "AclT3");
    bk_acl_assert_refused(sub_only, "topic:AclT3");

    /* the file: rewritten (new inode, same mode, no comment), version + 1 */
    g_autoptr(RmqAclConfig) after = load_file();
    assert_int_equal(after->version_counter, before->version_counter + 1);
    assert_true(after->version_timestamp > 0);
    assert_non_null(rmq_acl_config_account(after, NEW_AK));
    assert_string_equal(rmq_acl_config_account(after, NEW_AK)->secret_key, NEW_SK);
    GStatBuf st1;
    assert_int_equal(g_stat(acl_path, &st1), 0);
    assert_true(st1.st_ino != st0.st_ino);
    assert_int_equal(st1.st_mode & 07777, 0640);
    g_autofree gchar *text = NULL;
    assert_true(g_file_get_contents(acl_path, &text, NULL, NULL));
    assert_null(strstr(text, "comments"));
    assert_no_temporary_files();
    /* the poll does not take the broker's own write for an outside edit */
    g_usleep(1500 * 1000);
    g_autofree gchar *log = bk_daemon_log(br);
    assert_null(strstr(log, "plain ACL reloaded"));
    assert_non_null(strstr(log, "account " NEW_AK " updated"));
}

/* 50 for a known account: the given fields replace the old ones */
static void
test_update_account(void **state)
{
    (void) state;
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) r =
        bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, "accessKey",
                  NEW_AK, "secretKey", NEW_SK, "topicPerms", "AclT2=PUB", NULL);
    assert_code(r, RMQ_RESPONSE_SUCCESS, NULL);
    bk_acl_as(NEW_AK, NEW_SK);
    g_autoptr(RmqCommand) t2 = send_to(br->addr, "AclT2");
    bk_acl_assert_passed(t2);
    g_autoptr(RmqCommand) t1 = send_to(br->addr, "AclT1");
    bk_acl_assert_refused(t1, "topic:AclT1");
    g_autoptr(RmqAclConfig) c = load_file();
    const RmqAclAccount *a = rmq_acl_config_account(c, NEW_AK);
    assert_non_null(a);
    assert_string_equal(a->default_group_perm_text, "SUB"); /* kept */
    assert_int_equal(a->topic_perms->len, 1);
}

/* Java's AclException messages, answered with the FAILED codes */
static void
test_bad_edits(void **state)
{
    (void) state;
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) shortkey =
        bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, "accessKey",
                  "abc", "secretKey", "abcdefgh", NULL);
    assert_code(shortkey, RMQ_RESPONSE_UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
                "The accessKey=abc and secretKey=abcdefgh cannot be null and length should "
                "longer than 6");
    /* the refusal is logged, the secret it names is not */
    g_autofree gchar *log = bk_daemon_log(br);
    assert_non_null(strstr(log, "ACL admin code 50 from"));
    assert_null(strstr(log, "abcdefgh"));
    g_autoptr(RmqCommand) badperm =
        bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, "accessKey",
                  NEW_AK, "secretKey", NEW_SK, "topicPerms", "AclT1", NULL);
    assert_code(badperm, RMQ_RESPONSE_UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
                "Parse Resource format error for AclT1.");
    g_autoptr(RmqCommand) nokey =
        bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, NULL);
    assert_code(nokey, RMQ_RESPONSE_SYSTEM_ERROR, "the custom field <accessKey> is null");
    g_autoptr(RmqCommand) nodel = bk_invoke(client, br->addr, RMQ_REQUEST_DELETE_ACL_CONFIG, NULL,
                                            "accessKey", "noSuchKey1", NULL);
    assert_code(nodel, RMQ_RESPONSE_DELETE_ACL_CONFIG_FAILED,
                "The accesskey[noSuchKey1] corresponding to accessConfig has been deleted failed.");
    g_autoptr(RmqCommand) other = bk_invoke(
        client, br->addr, RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, NULL, "globalWhiteAddrs",
        "10.1.1.1", "aclFileFullPath", "/nonexistent/other_acl.yml", NULL);
    assert_code(other, RMQ_RESPONSE_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED,
                "The globalWhiteAddresses[10.1.1.1] has been updated failed.");
    /* none of these touched the account in force */
    bk_acl_as(NEW_AK, NEW_SK);
    g_autoptr(RmqCommand) t2 = send_to(br->addr, "AclT2");
    bk_acl_assert_passed(t2);
}

/* A non-admin account is refused each code that changes the file or lists
 * secrets; the version (52) is open to any known account, as in Java. */
static void
test_non_admin_refused(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    static const gint32 codes[] = { RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG,
                                    RMQ_REQUEST_DELETE_ACL_CONFIG,
                                    RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
                                    RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_CONFIG };
    for (gsize i = 0; i < G_N_ELEMENTS(codes); i++) {
        g_autoptr(RmqCommand) r =
            bk_invoke(client, br->addr, codes[i], NULL, "accessKey", USER_AK, "secretKey",
                      "whatever1", "admin", "true", "globalWhiteAddrs", "*", NULL);
        g_autofree gchar *reason = g_strdup_printf(
            "Need admin permission for request code=%d, but accessKey=" USER_AK " is not",
            codes[i]);
        bk_acl_assert_refused(r, reason);
    }
    g_autoptr(RmqCommand) v =
        bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_INFO, NULL, NULL);
    assert_code(v, RMQ_RESPONSE_SUCCESS, NULL);
    /* and the user is still not an admin */
    g_autoptr(RmqAclConfig) c = load_file();
    assert_false(rmq_acl_config_account(c, USER_AK)->admin);
}

/* 52: Java's GetBrokerAclConfigResponseHeader */
static void
test_version_info(void **state)
{
    (void) state;
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) r =
        bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_INFO, NULL, NULL);
    assert_code(r, RMQ_RESPONSE_SUCCESS, NULL);
    g_autoptr(RmqAclConfig) c = load_file();
    g_autofree gchar *want = g_strdup_printf(
        "{\"counter\":%" G_GINT64_FORMAT ",\"timestamp\":%" G_GINT64_FORMAT "}",
        c->version_counter, c->version_timestamp);
    assert_string_equal(rmq_command_get_ext(r, "version"), want);
    g_autoptr(JsonNode) all = json_from_string(rmq_command_get_ext(r, "allAclFileVersion"), NULL);
    assert_non_null(all);
    JsonObject *o = json_node_get_object(all);
    assert_true(json_object_has_member(o, acl_path));
    assert_int_equal(json_object_get_int_member(json_object_get_object_member(o, acl_path),
                                                "counter"),
                     c->version_counter);
    assert_string_equal(rmq_command_get_ext(r, "brokerAddr"), br->addr);
    assert_non_null(rmq_command_get_ext(r, "brokerName"));
    assert_non_null(rmq_command_get_ext(r, "clusterName"));
}

/* 54: every account with its secret, as Java's getAllAclConfig */
static void
test_config_listing(void **state)
{
    (void) state;
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) r =
        bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_CONFIG, NULL, NULL);
    assert_code(r, RMQ_RESPONSE_SUCCESS, NULL);
    g_autoptr(JsonNode) root = bk_body_json(r);
    assert_non_null(root);
    JsonObject *o = json_node_get_object(root);
    JsonArray *whites = json_object_get_array_member(o, "globalWhiteAddrs");
    assert_int_equal(json_array_get_length(whites), 1);
    assert_string_equal(json_array_get_string_element(whites, 0), "10.10.103.*");
    JsonArray *accounts = json_object_get_array_member(o, "plainAccessConfigs");
    g_autoptr(RmqAclConfig) c = load_file();
    assert_int_equal(json_array_get_length(accounts), c->accounts->len);
    gboolean seen = FALSE;
    for (guint i = 0; i < json_array_get_length(accounts); i++) {
        JsonObject *a = json_array_get_object_element(accounts, i);
        if (strcmp(json_object_get_string_member(a, "accessKey"), NEW_AK) != 0)
            continue;
        seen = TRUE;
        assert_string_equal(json_object_get_string_member(a, "secretKey"), NEW_SK);
        assert_false(json_object_get_boolean_member(a, "admin"));
        assert_string_equal(json_object_get_string_member(a, "defaultGroupPerm"), "SUB");
        JsonArray *tp = json_object_get_array_member(a, "topicPerms");
        assert_string_equal(json_array_get_string_element(tp, 0), "AclT2=PUB");
    }
    assert_true(seen);
}

/* A fresh broker reading the rewritten file has the same rules and version */
static void
test_fresh_broker_rereads(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) second = acl_broker();
    assert_true(bk_daemon_start_or_say(second, 10000));
    bk_acl_as(NEW_AK, NEW_SK);
    g_autoptr(RmqCommand) t2 = send_to(second->addr, "AclT2");
    bk_acl_assert_passed(t2);
    g_autoptr(RmqCommand) t1 = send_to(second->addr, "AclT1");
    bk_acl_assert_refused(t1, "topic:AclT1");
    g_autoptr(RmqAclConfig) c = load_file();
    g_autoptr(RmqCommand) v =
        bk_invoke(client, second->addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_INFO, NULL, NULL);
    assert_code(v, RMQ_RESPONSE_SUCCESS, NULL);
    g_autofree gchar *want = g_strdup_printf("{\"counter\":%" G_GINT64_FORMAT ",",
                                             c->version_counter);
    assert_true(g_str_has_prefix(rmq_command_get_ext(v, "version"), want));
}

/* 53: the global white list, taken at once; 51: an account goes */
static void
test_global_whites_and_delete(void **state)
{
    (void) state;
    bk_acl_as(NULL, NULL);
    g_autoptr(RmqCommand) before = send_to(br->addr, "AclT2");
    bk_acl_assert_refused(before, "No accessKey is configured");

    bk_acl_as(ADMIN_AK, ADMIN_SK);
    /* Java's mqadmin leaves aclFileFullPath out without -p */
    g_autoptr(RmqCommand) w = bk_invoke(client, br->addr,
                                        RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, NULL,
                                        "globalWhiteAddrs", "10.10.103.*,127.0.0.1", NULL);
    assert_code(w, RMQ_RESPONSE_SUCCESS, NULL);
    bk_acl_as(NULL, NULL);
    g_autoptr(RmqCommand) white = send_to(br->addr, "AclUnlisted");
    bk_acl_assert_passed(white);

    /* by the file's own name, the list goes back */
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) w2 = bk_invoke(
        client, br->addr, RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, NULL, "globalWhiteAddrs",
        "10.10.103.*", "aclFileFullPath", acl_path, NULL);
    assert_code(w2, RMQ_RESPONSE_SUCCESS, NULL);
    bk_acl_as(NULL, NULL);
    g_autoptr(RmqCommand) again = send_to(br->addr, "AclT2");
    bk_acl_assert_refused(again, "No accessKey is configured");

    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) d = bk_invoke(client, br->addr, RMQ_REQUEST_DELETE_ACL_CONFIG, NULL,
                                        "accessKey", NEW_AK, NULL);
    assert_code(d, RMQ_RESPONSE_SUCCESS, NULL);
    bk_acl_as(NEW_AK, NEW_SK);
    g_autoptr(RmqCommand) gone = send_to(br->addr, "AclT2");
    bk_acl_assert_refused(gone, "No acl config for " NEW_AK);
    g_autoptr(RmqAclConfig) c = load_file();
    assert_null(rmq_acl_config_account(c, NEW_AK));
    assert_int_equal(c->accounts->len, 2);
    assert_no_temporary_files();
}

/* aclEnable false: the edits answer their FAILED codes, the reads
 * SYSTEM_ERROR (Java answers those two not at all) */
static void
test_acl_disabled(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) plain = bk_broker_new(NULL, NULL);
    assert_true(bk_daemon_start_or_say(plain, 10000));
    bk_acl_as(NULL, NULL);
    static const struct {
        gint32 code, want;
    } rows[] = {
        { RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG,
          RMQ_RESPONSE_UPDATE_AND_CREATE_ACL_CONFIG_FAILED },
        { RMQ_REQUEST_DELETE_ACL_CONFIG, RMQ_RESPONSE_DELETE_ACL_CONFIG_FAILED },
        { RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
          RMQ_RESPONSE_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED },
        { RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_INFO, RMQ_RESPONSE_SYSTEM_ERROR },
        { RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_CONFIG, RMQ_RESPONSE_SYSTEM_ERROR },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(RmqCommand) r =
            bk_invoke(client, plain->addr, rows[i].code, NULL, "accessKey", NEW_AK, "secretKey",
                      NEW_SK, "globalWhiteAddrs", "*", NULL);
        assert_code(r, rows[i].want, "aclEnable is false");
    }
}

static gboolean
body_has(RmqClient *c, const gchar *addr, gint32 code, const gchar *needle)
{
    g_autoptr(RmqCommand) r = bk_invoke(c, addr, code, NULL, NULL);
    if (r == NULL || r->code != RMQ_RESPONSE_SUCCESS)
        return FALSE;
    g_autofree gchar *text = bk_body_text(r);
    return strstr(text, needle) != NULL;
}

/* A slave syncing from a master with aclEnable, its address not white-listed:
 * it signs as the admin account of its accessKey/secretKeyFile. */
static void
test_slave_syncs_signed(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) ns = bk_namesrv_new();
    assert_true(bk_daemon_start_or_say(ns, 10000));
    g_autofree gchar *mconf = g_strdup_printf(
        "brokerRole = \"ASYNC_MASTER\";\nhaListenPort = %u;\naclEnable = true;\n"
        "plainAclFile = \"%s\";\n", bk_free_port(), acl_path);
    g_autoptr(BkDaemon) master = bk_broker_new(ns->addr, mconf);
    assert_true(bk_daemon_start_or_say(master, 15000));

    /* the slave's secret file must be its owner's only */
    g_autoptr(BkDaemon) slave = bk_broker_new(ns->addr, NULL);
    g_autofree gchar *secret = g_build_filename(slave->dir, "sync.secret", NULL);
    g_assert(g_file_set_contents(secret, ADMIN_SK "\n", -1, NULL));
    g_assert(g_chmod(secret, 0644) == 0);
    g_autofree gchar *sconf = g_strdup_printf(
        "brokerRole = \"SLAVE\";\nbrokerId = 1;\nhaListenPort = %u;\n"
        "accessKey = \"" ADMIN_AK "\";\nsecretKeyFile = \"%s\";\n", bk_free_port(), secret);
    bk_daemon_append_conf(slave, sconf);
    g_autoptr(GError) err = NULL;
    assert_false(bk_daemon_start(slave, 10000, &err));
    assert_int_equal(bk_daemon_signal_and_wait(slave, SIGTERM, 5000), 78);
    g_autofree gchar *log = bk_daemon_log(slave);
    assert_non_null(strstr(log, "chmod 600"));
    g_assert(g_chmod(secret, 0600) == 0);
    g_autoptr(BkDaemon) slave2 = bk_broker_new(ns->addr, NULL);
    bk_daemon_append_conf(slave2, sconf);
    assert_true(bk_daemon_start_or_say(slave2, 15000));

    /* the master refuses unsigned metadata reads: only a signed sync gets through */
    bk_acl_as(NULL, NULL);
    g_autoptr(RmqCommand) plain =
        bk_invoke(client, master->addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, NULL, NULL);
    bk_acl_assert_refused(plain, "No accessKey is configured");

    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) t = bk_invoke(
        client, master->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL, "topic", "SlaveAclT",
        "defaultTopic", "TBW102", "readQueueNums", "4", "writeQueueNums", "4", "perm", "6",
        "topicFilterType", "SINGLE_TAG", "order", "false", NULL);
    assert_code(t, RMQ_RESPONSE_SUCCESS, NULL);
    g_autoptr(RmqCommand) o = bk_invoke(
        client, master->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL, "consumerGroup",
        "SlaveAclG", "topic", "SlaveAclT", "queueId", "0", "commitOffset", "7", NULL);
    assert_code(o, RMQ_RESPONSE_SUCCESS, NULL);

    /* the slave (no aclEnable of its own) shows what it copied; a round
     * every 10 s, the first after 3 s */
    bk_acl_as(NULL, NULL);
    gboolean topic = FALSE, offset = FALSE;
    for (int i = 0; i < 300 && !(topic && offset); i++) {
        topic = topic || body_has(client, slave2->addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG,
                                  "SlaveAclT");
        offset = offset || body_has(client, slave2->addr, RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET,
                                    "SlaveAclT@SlaveAclG");
        if (!(topic && offset))
            g_usleep(100 * 1000);
    }
    assert_true(topic);
    assert_true(offset);
    g_autofree gchar *slog = bk_daemon_log(slave2);
    assert_null(strstr(slog, "master refused"));

    /* replication (the HA port, not a remoting port) goes on with ACL on */
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) sent = send_to(master->addr, "SlaveAclT");
    assert_code(sent, RMQ_RESPONSE_SUCCESS, NULL);
    bk_acl_as(NULL, NULL);
    gint64 copied = 0;
    for (int i = 0; i < 100 && copied < 1; i++) {
        copied = 0;
        for (gint q = 0; q < 4; q++) {
            g_autofree gchar *qid = g_strdup_printf("%d", q);
            g_autoptr(RmqCommand) m = bk_invoke(client, slave2->addr, RMQ_REQUEST_GET_MAX_OFFSET,
                                                NULL, "topic", "SlaveAclT", "queueId", qid, NULL);
            copied += m != NULL && m->code == RMQ_RESPONSE_SUCCESS ? bk_ext_int(m, "offset", 0) : 0;
        }
        if (copied < 1)
            g_usleep(100 * 1000);
    }
    assert_int_equal(copied, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_account),
        cmocka_unit_test(test_update_account),
        cmocka_unit_test(test_bad_edits),
        cmocka_unit_test(test_non_admin_refused),
        cmocka_unit_test(test_version_info),
        cmocka_unit_test(test_config_listing),
        cmocka_unit_test(test_fresh_broker_rereads),
        cmocka_unit_test(test_global_whites_and_delete),
        cmocka_unit_test(test_acl_disabled),
        cmocka_unit_test(test_slave_syncs_signed),
    };
    return cmocka_run_group_tests_name("broker-acl-admin", tests, setup, teardown);
}
