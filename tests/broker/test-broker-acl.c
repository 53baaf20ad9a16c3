/* rmq-broker integration: plain ACL (aclEnable, plainAclFile). Every row of
 * the request -> permission mapping (docs/protocol.md, ACL) is allowed once
 * and refused once over the socket; signatures, white addresses, the file
 * watch (edits applied, broken edits refused with file:line) and the start
 * with a broken or missing file (exit 78). Requests are signed by the
 * RmqClient's request hook with the key pair the test picks. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "acl-support.h"
#include "remoting/codes.h"


/* AclPubOnly: PUB, AclSubOnly: SUB, AclBoth: PUB|SUB, AclDeny: DENY, other
 * topics DENY; group AclG: SUB, other groups DENY. */
#define ACL_V1 \
    BK_ACL_ACCOUNTS \
    "      - AclPubOnly=PUB\n" \
    "      - AclSubOnly=SUB\n" \
    "      - AclBoth=PUB|SUB\n" \
    "      - AclDeny=DENY\n" \
    "    groupPerms:\n" \
    "      - AclG=SUB\n"

static BkDaemon *br;
static RmqClient *client;
static gchar *acl_path;
static gchar *vip_addr;

static void
write_acl(const gchar *text)
{
    /* written in place (same inode), as an editor without backup does */
    g_assert(g_file_set_contents(acl_path, text, -1, NULL));
}

static int
setup(void **state)
{
    (void) state;
    br = bk_broker_new(NULL, NULL);
    acl_path = g_build_filename(br->dir, "plain_acl.yml", NULL);
    write_acl(ACL_V1);
    bk_acl_enable(br, acl_path);
    if (!bk_daemon_start_or_say(br, 10000))
        return -1;
    vip_addr = g_strdup_printf("127.0.0.1:%u", br->port - 2);
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
    g_free(acl_path);
    g_free(vip_addr);
    return 0;
}

static RmqCommand *
send_to(const gchar *topic, const gchar *group)
{
    return bk_acl_send(client, br->addr, topic, group);
}

static RmqCommand *
heartbeat(const gchar *group, const gchar *topic1, const gchar *topic2)
{
    g_autofree gchar *subs =
        topic2 != NULL
            ? g_strdup_printf("{\"topic\":\"%s\",\"subString\":\"*\"},"
                              "{\"topic\":\"%s\",\"subString\":\"*\"}", topic1, topic2)
            : g_strdup_printf("{\"topic\":\"%s\",\"subString\":\"*\"}", topic1);
    g_autofree gchar *hb = g_strdup_printf(
        "{\"clientID\":\"1.2.3.4@acl\",\"consumerDataSet\":[{\"groupName\":\"%s\","
        "\"consumeType\":1,\"messageModel\":1,\"consumeFromWhere\":0,"
        "\"subscriptionDataSet\":[%s]}],\"producerDataSet\":[]}",
        group, subs);
    g_autoptr(GBytes) body = g_bytes_new(hb, strlen(hb));
    return bk_invoke(client, br->addr, RMQ_REQUEST_HEART_BEAT, body, NULL);
}

static RmqCommand *
update_offset(const gchar *group, const gchar *topic)
{
    return bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL, "consumerGroup",
                     group, "topic", topic, "queueId", "0", "commitOffset", "0", NULL);
}

static RmqCommand *
create_topic(const gchar *topic)
{
    return bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL, "topic", topic,
                     "defaultTopic", "TBW102", "readQueueNums", "4", "writeQueueNums", "4",
                     "perm", "6", "topicFilterType", "SINGLE_TAG", "order", "false", NULL);
}

/* SEND_MESSAGE_V2: PUB on the topic */
static void
test_send_needs_pub(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok = send_to("AclPubOnly", "PG");
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) both = send_to("AclBoth", "PG");
    assert_int_equal(both->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) sub = send_to("AclSubOnly", "PG");
    bk_acl_assert_refused(sub, "No default permission for topic:AclSubOnly");
    g_autoptr(RmqCommand) deny = send_to("AclDeny", "PG");
    bk_acl_assert_refused(deny, "topic:AclDeny");
    g_autoptr(RmqCommand) other = send_to("AclUnlisted", "PG");
    bk_acl_assert_refused(other, "topic:AclUnlisted");
}

/* PULL_MESSAGE: SUB on the group and the topic */
static void
test_pull_needs_sub(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok = bk_pull(client, br->addr, "AclG", "AclBoth", 0, 0, "*", 0);
    bk_acl_assert_passed(ok);
    g_autoptr(RmqCommand) ok2 = bk_pull(client, br->addr, "AclG", "AclSubOnly", 0, 0, "*", 0);
    bk_acl_assert_passed(ok2);
    g_autoptr(RmqCommand) topic = bk_pull(client, br->addr, "AclG", "AclPubOnly", 0, 0, "*", 0);
    bk_acl_assert_refused(topic, "topic:AclPubOnly");
    g_autoptr(RmqCommand) group = bk_pull(client, br->addr, "OtherG", "AclBoth", 0, 0, "*", 0);
    bk_acl_assert_refused(group, "group:OtherG");
}

/* UPDATE_CONSUMER_OFFSET: SUB on the group and the topic */
static void
test_offset_needs_sub(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok = update_offset("AclG", "AclSubOnly");
    bk_acl_assert_passed(ok);
    g_autoptr(RmqCommand) topic = update_offset("AclG", "AclPubOnly");
    bk_acl_assert_refused(topic, "topic:AclPubOnly");
    g_autoptr(RmqCommand) group = update_offset("OtherG", "AclSubOnly");
    bk_acl_assert_refused(group, "group:OtherG");
}

/* HEART_BEAT: SUB on every subscription's topic and on the group */
static void
test_heartbeat_checks_every_subscription(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok = heartbeat("AclG", "AclSubOnly", "AclBoth");
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) second = heartbeat("AclG", "AclSubOnly", "AclPubOnly");
    bk_acl_assert_refused(second, "topic:AclPubOnly");
    g_autoptr(RmqCommand) group = heartbeat("OtherG", "AclSubOnly", NULL);
    bk_acl_assert_refused(group, "group:OtherG");
}

/* GET_CONSUMER_LIST_BY_GROUP, UNREGISTER_CLIENT: SUB on the group */
static void
test_group_codes(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                         NULL, "consumerGroup", "AclG", NULL);
    bk_acl_assert_passed(ok);
    g_autoptr(RmqCommand) no = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                         NULL, "consumerGroup", "OtherG", NULL);
    bk_acl_assert_refused(no, "group:OtherG");
    g_autoptr(RmqCommand) uok = bk_invoke(client, br->addr, RMQ_REQUEST_UNREGISTER_CLIENT, NULL,
                                          "clientID", "1.2.3.4@acl", "consumerGroup", "AclG", NULL);
    bk_acl_assert_passed(uok);
    g_autoptr(RmqCommand) uno = bk_invoke(client, br->addr, RMQ_REQUEST_UNREGISTER_CLIENT, NULL,
                                          "clientID", "1.2.3.4@acl", "consumerGroup", "OtherG",
                                          NULL);
    bk_acl_assert_refused(uno, "group:OtherG");
}

/* QUERY_MESSAGE: SUB on the topic */
static void
test_query_needs_sub(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok =
        bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_MESSAGE, NULL, "topic", "AclSubOnly", "key",
                  "k", "maxNum", "32", "beginTimestamp", "0", "endTimestamp", "9999999999999", NULL);
    bk_acl_assert_passed(ok);
    g_autoptr(RmqCommand) no =
        bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_MESSAGE, NULL, "topic", "AclPubOnly", "key",
                  "k", "maxNum", "32", "beginTimestamp", "0", "endTimestamp", "9999999999999", NULL);
    bk_acl_assert_refused(no, "topic:AclPubOnly");
}

/* A send to %RETRY%G and CONSUMER_SEND_MSG_BACK need SUB on group G. */
static void
test_retry_maps_to_group(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) ok = send_to("%RETRY%AclG", "AclG");
    bk_acl_assert_passed(ok);
    g_autoptr(RmqCommand) no = send_to("%RETRY%OtherG", "OtherG");
    bk_acl_assert_refused(no, "group:OtherG");
    g_autoptr(RmqCommand) bok =
        bk_invoke(client, br->addr, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL, "offset", "0",
                  "group", "AclG", "delayLevel", "0", "originMsgId", "X", "originTopic",
                  "AclBoth", "unitMode", "false", "maxReconsumeTimes", "16", NULL);
    bk_acl_assert_passed(bok);
    g_autoptr(RmqCommand) bno =
        bk_invoke(client, br->addr, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL, "offset", "0",
                  "group", "OtherG", "delayLevel", "0", "originMsgId", "X", "originTopic",
                  "AclBoth", "unitMode", "false", "maxReconsumeTimes", "16", NULL);
    bk_acl_assert_refused(bno, "group:OtherG");
}

/* The admin codes need an admin account. */
static void
test_admin_codes(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) no = create_topic("AclAdmT");
    bk_acl_assert_refused(no, "Need admin permission for request code=17, but accessKey=" USER_AK
                       " is not");
    bk_acl_as(ADMIN_AK, ADMIN_SK);
    g_autoptr(RmqCommand) ok = create_topic("AclAdmT");
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    /* an admin without a list may use every topic */
    g_autoptr(RmqCommand) s = send_to("AclUnlisted", "PG");
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
}

/* Codes with no resource, codes outside the table, the VIP port: all need
 * a valid signature. */
static void
test_every_code_is_checked(void **state)
{
    (void) state;
    bk_acl_as(NULL, NULL);
    g_autoptr(RmqCommand) mx = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                         "topic", "AclBoth", "queueId", "0", NULL);
    bk_acl_assert_refused(mx, "No accessKey is configured");
    g_autoptr(RmqCommand) unk = bk_invoke(client, br->addr, 9999, NULL, NULL);
    bk_acl_assert_refused(unk, "No accessKey is configured");
    g_autoptr(RmqCommand) vip = bk_invoke(client, vip_addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                          "topic", "AclBoth", "queueId", "0", NULL);
    bk_acl_assert_refused(vip, "No accessKey is configured");
    g_autoptr(RmqCommand) vsend = send_to("AclPubOnly", "PG");
    bk_acl_assert_refused(vsend, "No accessKey is configured");

    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) mx2 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                          "topic", "AclBoth", "queueId", "0", NULL);
    assert_int_equal(mx2->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) unk2 = bk_invoke(client, br->addr, 9999, NULL, NULL);
    assert_int_equal(unk2->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
    g_autoptr(RmqCommand) vip2 = bk_invoke(client, vip_addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                           "topic", "AclBoth", "queueId", "0", NULL);
    assert_int_equal(vip2->code, RMQ_RESPONSE_SUCCESS);
    /* the VIP port checks the topic too */
    g_autoptr(RmqCommand) vsub = bk_invoke(client, vip_addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                           NULL, "consumerGroup", "AclG", "topic", "AclPubOnly",
                                           "queueId", "0", "commitOffset", "0", NULL);
    bk_acl_assert_refused(vsub, "topic:AclPubOnly");
}

static guint
count(const gchar *hay, const gchar *needle)
{
    guint n = 0;
    for (const gchar *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A wrong secret, an unknown key: Java's remarks; one log line per account,
 * address and code. */
static void
test_bad_signature(void **state)
{
    (void) state;
    bk_acl_as(USER_AK, "not-the-secret");
    g_autoptr(RmqCommand) w = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MIN_OFFSET, NULL, "topic",
                                        "AclBoth", "queueId", "0", NULL);
    bk_acl_assert_refused(w, "Check signature failed for accessKey=" USER_AK);
    g_autoptr(RmqCommand) w2 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MIN_OFFSET, NULL,
                                         "topic", "AclBoth", "queueId", "0", NULL);
    bk_acl_assert_refused(w2, "Check signature failed");
    bk_acl_as("nobodyKey1", "nobodySecret1");
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MIN_OFFSET, NULL, "topic",
                                        "AclBoth", "queueId", "0", NULL);
    bk_acl_assert_refused(u, "No acl config for nobodyKey1");

    /* the log is written by the broker: give it a moment */
    g_autofree gchar *want = g_strdup_printf("ACL refused request code %d from 127.0.0.1, "
                                             "accessKey " USER_AK ": Check signature failed",
                                             RMQ_REQUEST_GET_MIN_OFFSET);
    g_autofree gchar *log = NULL;
    for (int i = 0; i < 50; i++) {
        g_free(log);
        log = bk_daemon_log(br);
        if (strstr(log, want) != NULL)
            break;
        g_usleep(100 * 1000);
    }
    assert_int_equal(count(log, want), 1); /* two refusals, one line */
    assert_non_null(strstr(log, "accessKey nobodyKey1: No acl config for nobodyKey1"));
}

/* Wait up to 10 s for @code on an unsigned GET_MAX_OFFSET to be @want_ok. */
static gboolean
wait_unsigned(gboolean want_ok)
{
    bk_acl_as(NULL, NULL);
    for (int i = 0; i < 100; i++) {
        g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                            "topic", "AclBoth", "queueId", "0", NULL);
        if ((r->code == RMQ_RESPONSE_SUCCESS) == want_ok)
            return TRUE;
        g_usleep(100 * 1000);
    }
    return FALSE;
}

static gchar *
wait_log(const gchar *needle, guint already)
{
    for (int i = 0; i < 100; i++) {
        gchar *log = bk_daemon_log(br);
        if (count(log, needle) > already)
            return log;
        g_free(log);
        g_usleep(100 * 1000);
    }
    return NULL;
}

/* The file is watched: edits apply within seconds, a broken edit is refused
 * with file:line and the old rules stay; SIGHUP re-reads it. */
static void
test_file_watched(void **state)
{
    (void) state;
    /* 127.0.0.1 white-listed: unsigned requests pass */
    write_acl("globalWhiteRemoteAddresses:\n  - 10.10.103.*\n  - 127.0.0.1\n"
              "dataVersion:\n  - timestamp: 1\n    counter: 7\n"
              "accounts:\n  - accessKey: " USER_AK "\n    secretKey: " USER_SK "\n"
              "    defaultTopicPerm: PUB\n");
    assert_true(wait_unsigned(TRUE));
    g_autofree gchar *log = bk_daemon_log(br);
    assert_non_null(strstr(log, "dataVersion 7, 1 accounts"));

    /* a running client loses what it may do: the user's default is PUB only */
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) s = send_to("AclAnyTopic", "PG");
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);

    /* a per-account white address passes unsigned for that key only */
    write_acl("accounts:\n  - accessKey: " USER_AK "\n    secretKey: " USER_SK "\n"
              "    whiteRemoteAddress: 127.0.0.*\n");
    assert_true(wait_unsigned(FALSE));
    bk_acl_as(USER_AK, "wrong-secret");
    g_autoptr(RmqCommand) wa = send_to("AclBoth", "PG");
    bk_acl_assert_passed(wa);

    /* broken: a permission word that does not exist on line 7 */
    g_autofree gchar *before = bk_daemon_log(br);
    guint refused = count(before, "plain ACL file refused");
    write_acl("accounts:\n  - accessKey: " USER_AK "\n    secretKey: " USER_SK "\n"
              "    defaultTopicPerm: DENY\n    defaultGroupPerm: DENY\n    topicPerms:\n"
              "      - AclBoth=WRITE\n");
    g_autofree gchar *after = wait_log("plain ACL file refused", refused);
    assert_non_null(after);
    g_autofree gchar *where = g_strdup_printf("%s:7:", acl_path);
    assert_non_null(strstr(after, where));
    /* old rules kept: the white address still passes */
    bk_acl_as(USER_AK, "wrong-secret");
    g_autoptr(RmqCommand) still = send_to("AclBoth", "PG");
    bk_acl_assert_passed(still);

    /* back to the first rules, then SIGHUP re-reads the file */
    write_acl(ACL_V1);
    assert_true(wait_unsigned(FALSE));
    g_autofree gchar *l1 = bk_daemon_log(br);
    guint reloaded = count(l1, "plain ACL reloaded");
    g_assert(g_subprocess_get_identifier(br->proc) != NULL);
    g_subprocess_send_signal(br->proc, SIGHUP);
    g_autofree gchar *l2 = wait_log("plain ACL reloaded", reloaded);
    assert_non_null(l2);
    bk_acl_as(USER_AK, USER_SK);
    g_autoptr(RmqCommand) back = send_to("AclSubOnly", "PG");
    bk_acl_assert_refused(back, "topic:AclSubOnly");
}

/* Start with a broken or missing file: exit 78 before READY, naming file:line. */
static void
test_broken_file_at_start(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) d = bk_broker_new(NULL, NULL);
    g_autofree gchar *path = g_build_filename(d->dir, "acl.yml", NULL);
    g_assert(g_file_set_contents(path, "accounts:\n  - accessKey: short\n    secretKey: "
                                       "longEnoughSecret\n", -1, NULL));
    bk_acl_enable(d, path);
    g_autoptr(GError) err = NULL;
    assert_false(bk_daemon_start(d, 10000, &err));
    assert_int_equal(bk_daemon_signal_and_wait(d, SIGTERM, 5000), 78);
    g_autofree gchar *log = bk_daemon_log(d);
    g_autofree gchar *where = g_strdup_printf("plainAclFile %s:2:", path);
    if (strstr(log, where) == NULL)
        fail_msg("no '%s' in log:\n%s", where, log);

    /* --check-config names it too */
    g_autofree gchar *bin = rmq_test_build_path("src/broker/rmq-broker");
    const gchar *argv[] = { bin, "--check-config", "--config", d->conf_path, NULL };
    g_autofree gchar *out = NULL, *err_text = NULL;
    gint wait = -1;
    assert_true(g_spawn_sync(NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                             &err_text, &wait, NULL));
    assert_true(WIFEXITED(wait));
    assert_int_equal(WEXITSTATUS(wait), 78);
    assert_non_null(strstr(err_text, where));

    /* missing */
    g_assert(g_unlink(path) == 0);
    g_clear_error(&err);
    assert_false(bk_daemon_start(d, 10000, &err));
    assert_int_equal(bk_daemon_signal_and_wait(d, SIGTERM, 5000), 78);
    g_free(log);
    log = bk_daemon_log(d);
    g_autofree gchar *missing = g_strdup_printf("plainAclFile %s", path);
    assert_non_null(strstr(log, missing));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_needs_pub),
        cmocka_unit_test(test_pull_needs_sub),
        cmocka_unit_test(test_offset_needs_sub),
        cmocka_unit_test(test_heartbeat_checks_every_subscription),
        cmocka_unit_test(test_group_codes),
        cmocka_unit_test(test_query_needs_sub),
        cmocka_unit_test(test_retry_maps_to_group),
        cmocka_unit_test(test_admin_codes),
        cmocka_unit_test(test_every_code_is_checked),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_file_watched),
        cmocka_unit_test(test_broken_file_at_start),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
