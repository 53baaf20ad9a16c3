/* src/acl: address patterns, request signatures (vectors computed with an
 * independent HMAC-SHA1 and taken from ali-ons's own signing code),
 * plain_acl.yml loading with file:line errors, and the allow/deny decision
 * with Java's remarks. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "acl/address.h"
#include "acl/check.h"
#include "acl/plain_config.h"
#include "acl/plain_edit.h"
#include "acl/sign.h"
#include "remoting/codes.h"

/* ------------------------------------------------------------ addresses */

static gboolean
matches(const gchar *pattern, const gchar *addr)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqAclAddress) a = rmq_acl_address_parse(pattern, &error);
    if (a == NULL)
        fail_msg("%s: %s", pattern, error->message);
    return rmq_acl_address_match(a, addr);
}

static void
refused(const gchar *pattern)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqAclAddress) a = rmq_acl_address_parse(pattern, &error);
    if (a != NULL)
        fail_msg("pattern \"%s\" was accepted", pattern);
    assert_true(g_error_matches(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_PATTERN));
    assert_non_null(strstr(error->message, pattern));
}

static void
test_address_patterns(void **state)
{
    (void) state;
    assert_false(matches("", "127.0.0.1"));
    assert_true(matches("*", "127.0.0.1"));
    assert_true(matches("*.*.*.*", "::1"));
    assert_true(matches("192.168.0.*", "192.168.0.7"));
    assert_false(matches("192.168.0.*", "192.168.1.7"));
    assert_true(matches("192.168.*", "192.168.200.3"));
    assert_false(matches("192.168.*", "192.169.0.3"));
    assert_true(matches("10.1-5.*", "10.3.9.9"));
    assert_false(matches("10.1-5.*", "10.6.0.0"));
    assert_true(matches("10.0.0.1-5", "10.0.0.5"));
    assert_false(matches("10.0.0.1-5", "10.0.0.6"));
    assert_true(matches("192.168.0.{1,2}", "192.168.0.2"));
    assert_false(matches("192.168.0.{1,2}", "192.168.0.3"));
    assert_true(matches("1.2.3.4, 5.6.7.8", "5.6.7.8"));
    assert_false(matches("1.2.3.4,5.6.7.8", "5.6.7.9"));
    /* every part is checked, unlike Java */
    assert_false(matches("10.1-5.7.7", "10.3.0.0"));
    assert_true(matches("10.1-5.7.7", "10.3.7.7"));
    /* a dual-stack socket's view of an IPv4 peer */
    assert_true(matches("127.0.0.1", "::ffff:127.0.0.1"));
    assert_true(matches("127.0.0.*", "::ffff:127.0.0.9"));
    /* IPv6: any spelling, ranges per group */
    assert_true(matches("fe80::1", "FE80:0:0:0:0:0:0:1"));
    assert_true(matches("1050::5:600:300c:1-200", "1050:0:0:0:5:600:300c:100"));
    assert_false(matches("1050::5:600:300c:1-200", "1050::5:600:300c:201"));
    assert_true(matches("1050:0:0:0:5:600:300c:*", "1050::5:600:300c:abcd"));
    assert_true(matches("1050:0:*", "1050:0:ffff::1"));
    assert_true(matches("fe80::{1,2}", "fe80::2"));
    assert_false(matches("10.0.0.*", "fe80::1"));
    assert_false(matches("10.0.0.1", "not an address"));

    refused("192.168.0.256");
    refused("192.168.0.5-3");
    refused("abc");
    refused("1.2.3");
    refused("1.2.3.4.5.*");
    refused("{1,2}");
    refused("1.2.3.{1,x}");
    refused("1::2::*");
    refused("1.2.3.-4");
}

/* ------------------------------------------------------------ signatures */

static RmqCommand *
send_v2(const gchar *topic, const gchar *group)
{
    RmqCommand *c = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    rmq_command_set_ext(c, "a", group);
    rmq_command_set_ext(c, "b", topic);
    rmq_command_set_ext(c, "c", "TBW102");
    rmq_command_set_ext(c, "d", "4");
    rmq_command_set_ext(c, "e", "0");
    rmq_command_set_ext(c, "f", "0");
    rmq_command_set_ext(c, "g", "1700000000000");
    rmq_command_set_ext(c, "h", "0");
    rmq_command_set_ext(c, "i", "KEYS\001k1\002");
    rmq_command_set_ext(c, "j", "0");
    rmq_command_set_ext(c, "k", "false");
    g_autoptr(GBytes) body = g_bytes_new_static("hello", 5);
    rmq_command_set_body(c, body);
    return c;
}

/* What ali-ons 3.x's Channel.beforeRequest put on send_v2("TopicA", "PG")
 * (it signs its OnsChannel field too), as the broker decodes it. */
static RmqCommand *
ons_signed(void)
{
    RmqCommand *c = send_v2("TopicA", "PG");
    rmq_command_set_ext(c, "AccessKey", "RocketMQ");
    rmq_command_set_ext(c, "OnsChannel", "ALIYUN");
    rmq_command_set_ext(c, "Signature", "JLhL+B1AwPbx7WF4oNpeTR1jiSM=");
    return c;
}

static void
test_signature_vectors(void **state)
{
    (void) state;
    /* Computed with Python's hmac over the sorted values and the body. */
    g_autoptr(RmqCommand) c = send_v2("TopicA", "PG");
    rmq_acl_sign_request(c, "RocketMQ", "12345678", NULL);
    assert_string_equal(rmq_command_get_ext(c, RMQ_ACL_SIGNATURE), "asZyMQ/8yfAcglbifsNuJh6y2Js=");
    g_autoptr(GBytes) content = rmq_acl_sign_content(c, TRUE);
    const gchar want[] = "RocketMQPGTopicATBW10240017000000000000KEYS\001k1\0020falsehello";
    assert_int_equal(g_bytes_get_size(content), sizeof want - 1);
    assert_memory_equal(g_bytes_get_data(content, NULL), want, sizeof want - 1);
    assert_true(rmq_acl_signature_verify(c, "12345678"));
    assert_false(rmq_acl_signature_verify(c, "12345679"));

    /* ali-ons 3.x's signature of the same request */
    g_autoptr(RmqCommand) ons = ons_signed();
    assert_true(rmq_acl_signature_verify(ons, "12345678"));
    /* A changed value or body breaks it. */
    rmq_command_set_ext(ons, "b", "TopicB");
    assert_false(rmq_acl_signature_verify(ons, "12345678"));
    g_autoptr(RmqCommand) body = ons_signed();
    g_autoptr(GBytes) other = g_bytes_new_static("hellO", 5);
    rmq_command_set_body(body, other);
    assert_false(rmq_acl_signature_verify(body, "12345678"));

    /* Many fields, in reverse order (the sort's heap path): the signature is
     * still HMAC over rmq_acl_sign_content. */
    g_autoptr(RmqCommand) many = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
    for (gint i = 99; i >= 0; i--) {
        g_autofree gchar *k = g_strdup_printf("k%02d", i);
        g_autofree gchar *v = g_strdup_printf("v%d,", i);
        rmq_command_set_ext(many, k, v);
    }
    rmq_acl_sign_request(many, "RocketMQ", "12345678", NULL);
    g_autoptr(GBytes) mc = rmq_acl_sign_content(many, FALSE);
    g_autofree gchar *msig = rmq_acl_signature(g_bytes_get_data(mc, NULL), g_bytes_get_size(mc),
                                               "12345678");
    assert_string_equal(rmq_command_get_ext(many, RMQ_ACL_SIGNATURE), msig);
    assert_true(g_str_has_prefix(g_bytes_get_data(mc, NULL), "RocketMQv0,v1,v2,"));
    assert_true(rmq_acl_signature_verify(many, "12345678"));
    /* No signature at all. */
    g_autoptr(RmqCommand) bare = send_v2("TopicA", "PG");
    assert_false(rmq_acl_signature_verify(bare, "12345678"));
}

static void
test_signature_unique_key_query(void **state)
{
    (void) state;
    RmqCommand *forms[2];
    /* Java's client signs _UNIQUE_KEY_QUERY, Java's broker leaves it out:
     * both signatures (Python vectors) pass. */
    const gchar *sigs[2] = { "AVG/C+QSlvK1KcR/EFsWQlmmVjQ=", "mnNq8OypxTc1IDspDrOxpWUJJy0=" };
    for (int i = 0; i < 2; i++) {
        RmqCommand *q = rmq_command_new_request(RMQ_REQUEST_QUERY_MESSAGE);
        rmq_command_set_ext(q, "topic", "T");
        rmq_command_set_ext(q, "key", "abc");
        rmq_command_set_ext(q, "maxNum", "32");
        rmq_command_set_ext(q, "beginTimestamp", "0");
        rmq_command_set_ext(q, "endTimestamp", "9");
        rmq_command_set_ext(q, "_UNIQUE_KEY_QUERY", "true");
        rmq_command_set_ext(q, "AccessKey", "RocketMQ");
        rmq_command_set_ext(q, "Signature", sigs[i]);
        assert_true(rmq_acl_signature_verify(q, "12345678"));
        forms[i] = q;
    }
    rmq_command_free(forms[0]);
    rmq_command_free(forms[1]);
}

/* ------------------------------------------------------------ the file */

static RmqAclConfig *
sample(void)
{
    g_autofree gchar *path = g_build_filename(g_getenv("RMQ_TEST_DATA"), "acl", "plain_acl.yml",
                                              NULL);
    g_autoptr(GError) error = NULL;
    RmqAclConfig *c = rmq_acl_config_load(path, &error);
    if (c == NULL)
        fail_msg("%s", error->message);
    return c;
}

static void
test_config_sample(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) c = sample();
    assert_int_equal(c->global_whites->len, 2);
    assert_int_equal(c->accounts->len, 2);
    const RmqAclAccount *a = rmq_acl_config_account(c, "RocketMQ");
    assert_non_null(a);
    assert_string_equal(a->secret_key, "12345678");
    assert_false(a->admin);
    assert_int_equal(a->default_topic_perm, RMQ_ACL_PERM_DENY);
    assert_int_equal(a->default_group_perm, RMQ_ACL_PERM_SUB);
    assert_int_equal(GPOINTER_TO_UINT(g_hash_table_lookup(a->perms, "topicB")),
                     RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_SUB);
    assert_int_equal(GPOINTER_TO_UINT(g_hash_table_lookup(a->perms, "%RETRY%groupA")),
                     RMQ_ACL_PERM_DENY);
    assert_int_equal(a->line, 7);
    const RmqAclAccount *b = rmq_acl_config_account(c, "rocketmq2");
    assert_true(b->admin);
    assert_string_equal(b->white_remote_address, "192.168.1.*");
    assert_int_equal(g_hash_table_size(b->perms), 0);
    assert_null(rmq_acl_config_account(c, "nobody"));
}

/* The sample the packages install parses, and enables nobody. */
static void
test_installed_sample(void **state)
{
    (void) state;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *path =
        g_build_filename(RMQ_TEST_SRCDIR, "etc", "rocketmq", "plain_acl.yml", NULL);
    g_autoptr(RmqAclConfig) c = rmq_acl_config_load(path, &error);
    if (c == NULL)
        fail_msg("%s", error->message);
    assert_int_equal(c->accounts->len, 0);
    assert_int_equal(c->global_whites->len, 0);
}

/* Parsing @text fails with a message containing each of the NULL-ended
 * @needles. */
static void
config_refused(const gchar *text, ...)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqAclConfig) c = rmq_acl_config_parse(text, strlen(text), "acl.yml", &error);
    if (c != NULL)
        fail_msg("accepted:\n%s", text);
    assert_true(g_error_matches(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_CONFIG));
    va_list ap;
    va_start(ap, text);
    for (const gchar *n; (n = va_arg(ap, const gchar *)) != NULL;)
        if (strstr(error->message, n) == NULL)
            fail_msg("\"%s\" not in: %s", n, error->message);
    va_end(ap);
}

static void
test_config_errors(void **state)
{
    (void) state;
    const gchar *head = "accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n";
    g_autofree gchar *bad_perm = g_strconcat(head, "    topicPerms:\n      - topicA=READ\n", NULL);
    config_refused(bad_perm, "acl.yml:5: topicPerms", "topicA=READ", NULL);
    g_autofree gchar *no_eq = g_strconcat(head, "    groupPerms:\n      - groupA\n", NULL);
    config_refused(no_eq, "acl.yml:5: groupPerms", "groupA=SUB", NULL);
    g_autofree gchar *bad_default = g_strconcat(head, "    defaultTopicPerm: ALL\n", NULL);
    config_refused(bad_default, "acl.yml:4: defaultTopicPerm", "\"ALL\"", NULL);
    g_autofree gchar *bad_admin = g_strconcat(head, "    admin: maybe\n", NULL);
    config_refused(bad_admin, "acl.yml:4: admin", NULL);
    g_autofree gchar *bad_white = g_strconcat(head, "    whiteRemoteAddress: 10.0.0.300\n", NULL);
    config_refused(bad_white, "acl.yml:2: whiteRemoteAddress", "10.0.0.300", NULL);
    g_autofree gchar *unknown = g_strconcat(head, "    secretkey: x\n", NULL);
    config_refused(unknown, "acl.yml:4: secretkey", "unknown account key", NULL);
    config_refused("accounts:\n  - accessKey: RocketMQ\n    secretKey: 123456\n",
                   "acl.yml:2: secretKey", "longer than 6", NULL);
    config_refused("accounts:\n  - secretKey: 12345678\n", "acl.yml:2: accessKey", NULL);
    g_autofree gchar *twice = g_strconcat(head, head + strlen("accounts:\n"), NULL);
    config_refused(twice, "acl.yml:4: accessKey", "already defined at line 2", NULL);
    config_refused("globalWhiteRemoteAddresses:\n  - 1.2.3\n", "acl.yml:2: globalWhiteRemoteAddresses",
                   NULL);
    config_refused("accounts: [\n  - x\n", "acl.yml:", NULL); /* YAML syntax */
    config_refused("account:\n  - accessKey: x\n", "acl.yml:1: account", "unknown key", NULL);
    config_refused("- a\n- b\n", "acl.yml:1", NULL);
    /* An empty file is no rules, not an error. */
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqAclConfig) empty = rmq_acl_config_parse("", 0, "acl.yml", &error);
    assert_non_null(empty);
    assert_int_equal(empty->accounts->len, 0);
}

static void
test_config_too_large(void **state)
{
    (void) state;
    g_autofree gchar *path = NULL;
    gint fd = g_file_open_tmp("rmq-acl-XXXXXX.yml", &path, NULL);
    assert_true(fd >= 0);
    close(fd);
    gsize n = RMQ_ACL_MAX_FILE_SIZE + 1;
    g_autofree gchar *big = g_malloc(n);
    memset(big, '#', n);
    assert_true(g_file_set_contents(path, big, (gssize) n, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqAclConfig) c = rmq_acl_config_load(path, &error);
    assert_null(c);
    assert_non_null(strstr(error->message, "larger than"));
    g_unlink(path);
}

/* ------------------------------------------------------------ decisions */

/* The check's remark, or NULL when @r passes. */
static gchar *
verdict(const RmqAclConfig *c, RmqCommand *r, const gchar *ip)
{
    g_autoptr(GError) error = NULL;
    if (rmq_acl_check(c, r, ip, NULL, &error))
        return NULL;
    assert_true(g_error_matches(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_DENIED));
    return g_strdup(error->message);
}

static void
expect(const RmqAclConfig *c, RmqCommand *r, const gchar *ip, const gchar *remark)
{
    g_autofree gchar *got = verdict(c, r, ip);
    if (g_strcmp0(got, remark) != 0)
        fail_msg("code %d from %s: expected %s, got %s", r->code, ip,
                 remark ? remark : "pass", got ? got : "pass");
    rmq_command_free(r);
}

static RmqCommand *
signed_(RmqCommand *r, const gchar *ak)
{
    rmq_acl_sign_request(r, ak, "12345678", NULL);
    return r;
}

static RmqCommand *
pull(const gchar *topic, const gchar *group)
{
    RmqCommand *r = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    rmq_command_set_ext(r, "topic", topic);
    rmq_command_set_ext(r, "consumerGroup", group);
    rmq_command_set_ext(r, "queueId", "0");
    return r;
}

static RmqCommand *
heartbeat(const gchar *body)
{
    RmqCommand *r = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    rmq_command_set_body(r, b);
    return r;
}

static void
test_check_rows(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) c = sample();
    const gchar *far = "172.16.0.9";
    /* global white list: anything, no key */
    expect(c, rmq_command_new_request(RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC), "10.10.103.7", NULL);
    expect(c, send_v2("topicA", "PG"), "192.168.0.1", NULL);
    /* no key, unknown key, bad signature */
    expect(c, send_v2("topicB", "PG"), far, "No accessKey is configured");
    expect(c, signed_(send_v2("topicB", "PG"), "stranger"), far, "No acl config for stranger");
    RmqCommand *forged = signed_(send_v2("topicB", "PG"), "RocketMQ");
    rmq_command_set_ext(forged, "b", "topicC");
    expect(c, forged, far, "Check signature failed for accessKey=RocketMQ");
    /* send: PUB on the topic */
    expect(c, signed_(send_v2("topicB", "PG"), "RocketMQ"), far, NULL);
    expect(c, signed_(send_v2("topicA", "PG"), "RocketMQ"), far,
           "No default permission for topic:topicA");
    expect(c, signed_(send_v2("topicC", "PG"), "RocketMQ"), far,
           "No default permission for topic:topicC"); /* SUB only */
    expect(c, signed_(send_v2("topicZ", "PG"), "RocketMQ"), far,
           "No default permission for topic:topicZ"); /* default DENY */
    /* a batch is a send (Java 4.9 checks nothing here) */
    RmqCommand *batch = send_v2("topicA", "PG");
    batch->code = RMQ_REQUEST_SEND_BATCH_MESSAGE;
    expect(c, signed_(batch, "RocketMQ"), far, "No default permission for topic:topicA");
    /* a consumer re-sending to its retry topic needs SUB on the group */
    expect(c, signed_(send_v2("%RETRY%groupC", "groupC"), "RocketMQ"), far, NULL);
    expect(c, signed_(send_v2("%RETRY%groupA", "groupA"), "RocketMQ"), far,
           "No default permission for group:groupA");
    /* pull: SUB on topic and group; groups default to SUB here */
    expect(c, signed_(pull("topicC", "groupC"), "RocketMQ"), far, NULL);
    expect(c, signed_(pull("topicC", "groupZ"), "RocketMQ"), far, NULL);
    expect(c, signed_(pull("topicC", "groupA"), "RocketMQ"), far,
           "No default permission for group:groupA");
    expect(c, signed_(pull("topicA", "groupC"), "RocketMQ"), far,
           "No default permission for topic:topicA");
    /* offsets and consumer lists name the group */
    RmqCommand *off = rmq_command_new_request(RMQ_REQUEST_UPDATE_CONSUMER_OFFSET);
    rmq_command_set_ext(off, "consumerGroup", "groupA");
    rmq_command_set_ext(off, "topic", "topicC");
    expect(c, signed_(off, "RocketMQ"), far, "No default permission for group:groupA");
    RmqCommand *list = rmq_command_new_request(RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP);
    rmq_command_set_ext(list, "consumerGroup", "groupB");
    expect(c, signed_(list, "RocketMQ"), far, NULL);
    /* heartbeat: every group and subscribed topic */
    expect(c, signed_(heartbeat("{\"clientID\":\"x\",\"consumerDataSet\":[{\"groupName\":\"groupC\","
                                "\"subscriptionDataSet\":[{\"topic\":\"topicC\"}]}]}"), "RocketMQ"),
           far, NULL);
    expect(c, signed_(heartbeat("{\"clientID\":\"x\",\"consumerDataSet\":[{\"groupName\":\"groupC\","
                                "\"subscriptionDataSet\":[{\"topic\":\"topicA\"}]}]}"), "RocketMQ"),
           far, "No default permission for topic:topicA");
    expect(c, signed_(heartbeat("not json"), "RocketMQ"), far, "heartbeat body is not JSON");
    /* message traces may always be written */
    expect(c, signed_(send_v2("RMQ_SYS_TRACE_TOPIC", "PG"), "RocketMQ"), far, NULL);
    /* admin codes */
    expect(c, signed_(rmq_command_new_request(RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC), "RocketMQ"), far,
           "Need admin permission for request code=17, but accessKey=RocketMQ is not");
    expect(c, signed_(rmq_command_new_request(RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG), "RocketMQ"),
           far, "Need admin permission for request code=50, but accessKey=RocketMQ is not");
    expect(c, signed_(rmq_command_new_request(RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC), "rocketmq2"), far,
           NULL);
    expect(c, signed_(send_v2("anything", "PG"), "rocketmq2"), far, NULL);
    /* an account's white address passes without a signature */
    RmqCommand *unsigned_admin = send_v2("topicA", "PG");
    rmq_command_set_ext(unsigned_admin, "AccessKey", "rocketmq2");
    expect(c, unsigned_admin, "192.168.1.9", NULL);
    RmqCommand *unsigned_far = send_v2("topicA", "PG");
    rmq_command_set_ext(unsigned_far, "AccessKey", "rocketmq2");
    expect(c, unsigned_far, far, "Check signature failed for accessKey=rocketmq2");
    /* codes with no resources need only a good signature */
    expect(c, signed_(rmq_command_new_request(RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP), "RocketMQ"),
           far, NULL);
}

static void
test_perm_rules(void **state)
{
    (void) state;
    guint8 p;
    assert_true(rmq_acl_perm_parse(" SUB|PUB ", &p));
    assert_int_equal(p, RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_SUB);
    assert_false(rmq_acl_perm_parse("pub", &p));
    assert_true(rmq_acl_perm_allows(RMQ_ACL_PERM_ANY, RMQ_ACL_PERM_SUB));
    assert_false(rmq_acl_perm_allows(RMQ_ACL_PERM_ANY, RMQ_ACL_PERM_DENY));
    assert_false(rmq_acl_perm_allows(RMQ_ACL_PERM_PUB, RMQ_ACL_PERM_SUB));
    assert_false(rmq_acl_perm_allows(RMQ_ACL_PERM_PUB, RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_DENY));
}

/* ------------------------------------------------------------ admin edits */

static const gchar edit_base[] =
    "# a comment Java's rewrite drops too\n"
    "globalWhiteRemoteAddresses:\n"
    "- 10.10.103.*\n"
    "accounts:\n"
    "- accessKey: RocketMQ\n"
    "  secretKey: 12345678\n"
    "  whiteRemoteAddress: 192.168.0.*\n"
    "  admin: false\n"
    "  defaultTopicPerm: DENY\n"
    "  defaultGroupPerm: SUB\n"
    "  topicPerms:\n"
    "  - topicA=DENY\n"
    "  - topicB=PUB|SUB\n"
    "  groupPerms:\n"
    "  - groupA=DENY\n"
    "- accessKey: rocketmq2\n"
    "  secretKey: '87654321'\n"
    "  admin: true\n"
    "dataVersion:\n"
    "- counter: 7\n"
    "  timestamp: 1000\n";

static RmqAclConfig *
edit_parse(const gchar *text)
{
    g_autoptr(GError) error = NULL;
    RmqAclConfig *c = rmq_acl_config_parse(text, strlen(text), "acl.yml", &error);
    if (c == NULL)
        fail_msg("%s\n%s", error->message, text);
    return c;
}

static const RmqAclAccount *
nth_account(const RmqAclConfig *c, guint i)
{
    assert_true(i < c->accounts->len);
    return g_ptr_array_index(c->accounts, i);
}

static void
test_edit_round_trip(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) c = edit_parse(edit_base);
    g_autofree gchar *text = rmq_acl_config_to_yaml(c);
    /* the comment is gone (Java rewrites the whole file), digits stay a string */
    assert_null(strstr(text, "comment"));
    assert_non_null(strstr(text, "secretKey: '12345678'"));
    assert_non_null(strstr(text, "globalWhiteRemoteAddresses:\n- "));
    g_autoptr(RmqAclConfig) back = edit_parse(text);
    assert_int_equal(back->accounts->len, 2);
    assert_int_equal(back->version_counter, 7);
    assert_int_equal(back->version_timestamp, 1000);
    const RmqAclAccount *a = nth_account(back, 0);
    assert_string_equal(a->access_key, "RocketMQ");
    assert_string_equal(a->secret_key, "12345678");
    assert_string_equal(a->white_remote_address, "192.168.0.*");
    assert_string_equal(a->default_group_perm_text, "SUB");
    assert_int_equal(a->topic_perms->len, 2);
    assert_int_equal(GPOINTER_TO_UINT(g_hash_table_lookup(a->perms, "topicB")),
                     RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_SUB);
    assert_int_equal(GPOINTER_TO_UINT(g_hash_table_lookup(a->perms, "%RETRY%groupA")),
                     RMQ_ACL_PERM_DENY);
    assert_true(nth_account(back, 1)->admin);
    assert_null(nth_account(back, 1)->default_topic_perm_text);
    assert_string_equal(g_ptr_array_index(back->global_white_texts, 0), "10.10.103.*");
}

static void
test_edit_update_account(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) c = edit_parse(edit_base);
    g_autoptr(GError) error = NULL;
    RmqAclConfig *out = NULL;

    /* a new account is appended, the version moves on */
    RmqAclAccountUpdate add = { .access_key = "newaccount1", .secret_key = "newsecret1",
                                .white_remote_address = "127.0.0.1", .admin = FALSE,
                                .default_topic_perm = "PUB", .topic_perms = "t1=SUB,t2=PUB|SUB",
                                .group_perms = "g1=SUB" };
    g_autofree gchar *t1 = rmq_acl_edit_update_account(c, &add, 5000, &out, &error);
    assert_non_null(t1);
    g_autoptr(RmqAclConfig) c1 = out;
    assert_int_equal(c1->version_counter, 8);
    assert_int_equal(c1->version_timestamp, 5000);
    assert_int_equal(c1->accounts->len, 3);
    const RmqAclAccount *n = nth_account(c1, 2);
    assert_string_equal(n->access_key, "newaccount1");
    assert_string_equal(n->secret_key, "newsecret1");
    assert_int_equal(n->default_topic_perm, RMQ_ACL_PERM_PUB);
    assert_null(n->default_group_perm_text);
    assert_int_equal(GPOINTER_TO_UINT(g_hash_table_lookup(n->perms, "t2")),
                     RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_SUB);
    assert_int_equal(GPOINTER_TO_UINT(g_hash_table_lookup(n->perms, "%RETRY%g1")),
                     RMQ_ACL_PERM_SUB);
    /* what the function returned is what it parsed */
    g_autoptr(RmqAclConfig) again = edit_parse(t1);
    assert_int_equal(again->accounts->len, 3);

    /* a known account: only the given fields change (admin always), and it
     * moves to the end of the list, as Java's remove + add */
    RmqAclAccountUpdate upd = { .access_key = "RocketMQ", .secret_key = "changed-secret",
                                .admin = TRUE, .group_perms = "groupB=PUB|SUB" };
    out = NULL;
    g_autofree gchar *t2 = rmq_acl_edit_update_account(c1, &upd, 6000, &out, &error);
    assert_non_null(t2);
    g_autoptr(RmqAclConfig) c2 = out;
    assert_int_equal(c2->version_counter, 9);
    assert_string_equal(nth_account(c2, 0)->access_key, "rocketmq2");
    const RmqAclAccount *u = nth_account(c2, 2);
    assert_string_equal(u->access_key, "RocketMQ");
    assert_string_equal(u->secret_key, "changed-secret");
    assert_true(u->admin);
    assert_string_equal(u->white_remote_address, "192.168.0.*");  /* kept */
    assert_string_equal(u->default_group_perm_text, "SUB");       /* kept */
    assert_int_equal(u->topic_perms->len, 2);                     /* kept */
    assert_int_equal(u->group_perms->len, 1);                     /* replaced */
    assert_null(g_hash_table_lookup(u->perms, "%RETRY%groupA"));
    assert_non_null(g_hash_table_lookup(u->perms, "%RETRY%groupB"));
}

static void
edit_refused(const RmqAclConfig *c, const RmqAclAccountUpdate *u, const gchar *remark)
{
    g_autoptr(GError) error = NULL;
    RmqAclConfig *out = NULL;
    g_autofree gchar *t = rmq_acl_edit_update_account(c, u, 1, &out, &error);
    assert_null(t);
    assert_null(out);
    assert_true(g_error_matches(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_EDIT));
    if (strstr(error->message, remark) == NULL)
        fail_msg("remark \"%s\" lacks \"%s\"", error->message, remark);
}

static void
test_edit_update_refused(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) c = edit_parse(edit_base);
    RmqAclAccountUpdate u = { .access_key = "short", .secret_key = "12345678" };
    edit_refused(c, &u, "The accessKey=short and secretKey=12345678 cannot be null and length "
                        "should longer than 6");
    u = (RmqAclAccountUpdate) { .access_key = "longenough" };
    edit_refused(c, &u, "The accessKey=longenough and secretKey=null cannot be null");
    u = (RmqAclAccountUpdate) { .access_key = "longenough", .secret_key = "longsecret",
                                .topic_perms = "topicA" };
    edit_refused(c, &u, "Parse Resource format error for topicA.\n"
                        "The expected resource format is 'Res=Perm'. For example: topicA=SUB");
    u.topic_perms = "topicA=ALL";
    edit_refused(c, &u, "Parse resource permission error for topicA=ALL.");
    u.topic_perms = NULL;
    u.group_perms = "g=SUB,=PUB";
    edit_refused(c, &u, "Parse Resource format error for =PUB.");
    u.group_perms = NULL;
    u.default_topic_perm = "EVERYTHING";
    edit_refused(c, &u, "defaultTopicPerm=EVERYTHING");
    u.default_topic_perm = NULL;
    u.white_remote_address = "300.1.1.1";
    edit_refused(c, &u, "300.1.1.1");
    /* a file the next load would refuse for its size is not written */
    u.white_remote_address = NULL;
    g_autoptr(GString) big = g_string_new(NULL);
    for (guint i = 0; big->len <= RMQ_ACL_MAX_FILE_SIZE; i++)
        g_string_append_printf(big, "%stopic%06u=PUB", i > 0 ? "," : "", i);
    u.topic_perms = big->str;
    edit_refused(c, &u, "larger than the");
}

static void
test_edit_delete_and_whites(void **state)
{
    (void) state;
    g_autoptr(RmqAclConfig) c = edit_parse(edit_base);
    g_autoptr(GError) error = NULL;
    RmqAclConfig *out = NULL;
    g_autofree gchar *t = rmq_acl_edit_delete_account(c, "RocketMQ", 42, &out, &error);
    assert_non_null(t);
    g_autoptr(RmqAclConfig) d = out;
    assert_int_equal(d->accounts->len, 1);
    assert_null(rmq_acl_config_account(d, "RocketMQ"));
    assert_int_equal(d->version_counter, 8);
    assert_int_equal(d->version_timestamp, 42);

    assert_null(rmq_acl_edit_delete_account(d, "RocketMQ", 43, NULL, &error));
    assert_string_equal(error->message, "The accesskey[RocketMQ] corresponding to accessConfig "
                                        "has been deleted failed.");
    g_clear_error(&error);

    out = NULL;
    g_autofree gchar *w = rmq_acl_edit_set_global_whites(d, "10.0.0.*, 192.168.1.1-9,,*", 50,
                                                         &out, &error);
    assert_non_null(w);
    g_autoptr(RmqAclConfig) g = out;
    assert_int_equal(g->global_white_texts->len, 3);
    assert_string_equal(g_ptr_array_index(g->global_white_texts, 2), "*");
    assert_int_equal(g->accounts->len, 1);
    assert_int_equal(g->version_counter, 9);

    /* an empty list clears them; a bad pattern is refused */
    out = NULL;
    g_autofree gchar *e = rmq_acl_edit_set_global_whites(g, "", 51, &out, &error);
    assert_non_null(e);
    g_autoptr(RmqAclConfig) cleared = out;
    assert_int_equal(cleared->global_whites->len, 0);
    assert_null(rmq_acl_edit_set_global_whites(g, "10.0.0.999", 52, NULL, &error));
    assert_true(g_error_matches(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_EDIT));
    assert_non_null(strstr(error->message, "10.0.0.999"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_patterns),
        cmocka_unit_test(test_signature_vectors),
        cmocka_unit_test(test_signature_unique_key_query),
        cmocka_unit_test(test_config_sample),
        cmocka_unit_test(test_installed_sample),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_too_large),
        cmocka_unit_test(test_perm_rules),
        cmocka_unit_test(test_check_rows),
        cmocka_unit_test(test_edit_round_trip),
        cmocka_unit_test(test_edit_update_account),
        cmocka_unit_test(test_edit_update_refused),
        cmocka_unit_test(test_edit_delete_and_whites),
    };
    return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
