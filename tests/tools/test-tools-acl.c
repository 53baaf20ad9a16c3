/* Signing clients against a real rmq-broker with aclEnable: the C client
 * library (rmq_instance_set_credentials), rmqadmin and rmq-bench with
 * --access-key/--secret-key, RMQ_ACCESS_KEY/RMQ_SECRET_KEY and
 * --credentials FILE (refused unless only its owner may read it). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "tool-run.h"

#define ADMIN_AK "RocketMQadmin"
#define ADMIN_SK "12345678admin"
#define USER_AK "toolUser01"
#define USER_SK "toolSecret01"

static BkDaemon *ns;
static BkDaemon *broker;

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    broker = bk_broker_new(ns->addr, NULL);
    g_autofree gchar *acl = g_build_filename(broker->dir, "plain_acl.yml", NULL);
    g_assert(g_file_set_contents(acl,
                                 "accounts:\n"
                                 "  - accessKey: " ADMIN_AK "\n"
                                 "    secretKey: " ADMIN_SK "\n"
                                 "    admin: true\n"
                                 "  - accessKey: " USER_AK "\n"
                                 "    secretKey: " USER_SK "\n"
                                 "    defaultTopicPerm: DENY\n"
                                 "    defaultGroupPerm: SUB\n"
                                 "    topicPerms:\n"
                                 "      - ToolAclT=PUB|SUB\n"
                                 "      - TBW102=PUB\n",
                                 -1, NULL));
    g_autofree gchar *conf = NULL;
    g_assert(g_file_get_contents(broker->conf_path, &conf, NULL, NULL));
    g_autofree gchar *full = g_strdup_printf("%saclEnable = true;\nplainAclFile = \"%s\";\n",
                                             conf, acl);
    g_assert(g_file_set_contents(broker->conf_path, full, -1, NULL));
    if (!bk_daemon_start_or_say(broker, 15000))
        return -1;
    g_unsetenv("RMQ_ACCESS_KEY");
    g_unsetenv("RMQ_SECRET_KEY");
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

#define admin(...) tool_rmqadmin(ns->addr, FALSE, __VA_ARGS__)

static void
assert_status(const ToolRun *r, int status, const gchar *err_needle)
{
    if (r->status != status || (err_needle != NULL && strstr(r->err, err_needle) == NULL))
        fail_msg("expected status %d and '%s', got %d: %s%s", status,
                 err_needle != NULL ? err_needle : "", r->status, r->err, r->out);
}

/* The library: a producer and a consumer sign with the instance's keys. */
static void
test_library_signs(void **state)
{
    (void) state;
    /* the admin creates the topic (UPDATE_AND_CREATE_TOPIC needs admin) */
    g_autoptr(ToolRun) c = admin("updateTopic", "-b", broker->addr, "-t", "ToolAclT",
                                 "--access-key", ADMIN_AK, "--secret-key", ADMIN_SK, NULL);
    assert_status(c, 0, NULL);

    g_autoptr(RmqProducer) p = rmq_producer_new("ToolAclPG", ns->addr, NULL);
    rmq_producer_set_retry_times_when_send_failed(p, 0);
    g_autoptr(RmqMsg) m = rmq_msg_new("ToolAclT", "signed", -1);
    RmqSendResult r;
    g_autoptr(GError) error = NULL;
    /* unsigned: refused with Java's remark */
    assert_false(rmq_producer_send(p, m, &r, &error));
    assert_non_null(strstr(error->message, "No accessKey is configured"));
    g_clear_error(&error);
    /* wrong secret */
    rmq_instance_set_credentials(rmq_producer_get_instance(p), USER_AK, "wrongSecret", NULL);
    assert_false(rmq_producer_send(p, m, &r, &error));
    assert_non_null(strstr(error->message, "Check signature failed for accessKey=" USER_AK));
    g_clear_error(&error);
    rmq_instance_set_credentials(rmq_producer_get_instance(p), USER_AK, USER_SK, NULL);
    if (!rmq_producer_send(p, m, &r, &error))
        fail_msg("signed send: %s", error->message);
    gint qid = r.queue_id;
    gint64 off = r.queue_offset;
    g_autofree gchar *bname = g_strdup(r.broker_name);
    rmq_send_result_clear(&r);
    /* with a security token too (signed, not checked by plain ACL) */
    rmq_instance_set_credentials(rmq_producer_get_instance(p), USER_AK, USER_SK, "token-1");
    assert_true(rmq_producer_send(p, m, &r, NULL));
    rmq_send_result_clear(&r);

    g_autoptr(RmqConsumer) cons = rmq_consumer_new("ToolAclCG", ns->addr, NULL);
    g_autoptr(RmqQueue) q = rmq_queue_new("ToolAclT", bname, qid);
    RmqPullResult pr;
    assert_false(rmq_consumer_pull(cons, q, "*", off, 1, 0, &pr, &error));
    assert_non_null(strstr(error->message, "No accessKey is configured"));
    g_clear_error(&error);
    rmq_instance_set_credentials(rmq_consumer_get_instance(cons), USER_AK, USER_SK, NULL);
    if (!rmq_consumer_pull(cons, q, "*", off, 1, 0, &pr, &error))
        fail_msg("signed pull: %s", error->message);
    assert_int_equal(pr.status, RMQ_PULL_FOUND);
    rmq_pull_result_clear(&pr);
}

/* rmqadmin: options, environment, file; admin codes need the admin key. */
static void
test_rmqadmin(void **state)
{
    (void) state;
    g_autoptr(ToolRun) none = admin("updateTopic", "-b", broker->addr, "-t", "ToolAclT2", NULL);
    assert_status(none, 5, "No accessKey is configured");
    g_autoptr(ToolRun) user = admin("updateTopic", "-b", broker->addr, "-t", "ToolAclT2",
                                    "--access-key", USER_AK, "--secret-key", USER_SK, NULL);
    assert_status(user, 5, "Need admin permission");
    g_autoptr(ToolRun) half = admin("updateTopic", "-b", broker->addr, "-t", "ToolAclT2",
                                    "--access-key", USER_AK, NULL);
    assert_status(half, 2, "go together");

    g_setenv("RMQ_ACCESS_KEY", USER_AK, TRUE);
    g_setenv("RMQ_SECRET_KEY", USER_SK, TRUE);
    g_autoptr(ToolRun) env = admin("sendMessage", "-t", "ToolAclT", "-p", "from env", NULL);
    g_setenv("RMQ_SECRET_KEY", "wrongSecret", TRUE);
    g_autoptr(ToolRun) envbad = admin("sendMessage", "-t", "ToolAclT", "-p", "from env", NULL);
    g_unsetenv("RMQ_ACCESS_KEY");
    g_unsetenv("RMQ_SECRET_KEY");
    assert_status(env, 0, NULL);
    assert_status(envbad, 5, "Check signature failed");

    g_autofree gchar *file = g_build_filename(broker->dir, "admin.cred", NULL);
    g_assert(g_file_set_contents(file, "# rmqadmin\naccessKey=" ADMIN_AK "\nsecretKey=" ADMIN_SK
                                       "\n", -1, NULL));
    g_assert(chmod(file, 0644) == 0);
    g_autoptr(ToolRun) open_file = admin("updateTopic", "-b", broker->addr, "-t", "ToolAclT2",
                                         "--credentials", file, NULL);
    assert_status(open_file, 2, "chmod 600");
    g_assert(chmod(file, 0600) == 0);
    g_autoptr(ToolRun) ok = admin("updateTopic", "-b", broker->addr, "-t", "ToolAclT2",
                                  "--credentials", file, NULL);
    assert_status(ok, 0, NULL);
    g_assert(chmod(file, 0400) == 0);
    g_autoptr(ToolRun) ok2 = admin("getBrokerConfig", "-b", broker->addr, "--credentials", file,
                                   NULL);
    assert_status(ok2, 0, NULL);
    g_autofree gchar *broken = g_build_filename(broker->dir, "broken.cred", NULL);
    g_assert(g_file_set_contents(broken, "accessKey=" ADMIN_AK "\n", -1, NULL));
    g_assert(chmod(broken, 0600) == 0);
    g_autoptr(ToolRun) nosk = admin("getBrokerConfig", "-b", broker->addr, "--credentials",
                                    broken, NULL);
    assert_status(nosk, 2, "needs both accessKey= and secretKey=");
}

/* rmq-bench signs every producer and consumer. */
static void
test_rmq_bench(void **state)
{
    (void) state;
    const gchar *signed_args[] = { "producer", "-n", ns->addr, "-t", "ToolAclT", "-w", "1", "-c",
                                   "20", "-d", "30", "-s", "16", "--json", "-q",
                                   "--access-key", USER_AK, "--secret-key", USER_SK, NULL };
    g_autoptr(ToolRun) ok = tool_runv("rmq-bench", signed_args);
    assert_status(ok, 0, NULL);
    assert_non_null(ok->json);
    assert_int_equal(json_object_get_int_member(json_node_get_object(ok->json), "ok"), 20);

    const gchar *unsigned_args[] = { "producer", "-n", ns->addr, "-t", "ToolAclT", "-w", "1",
                                     "-c", "5", "-d", "30", "-s", "16", "--json", "-q", NULL };
    g_autoptr(ToolRun) no = tool_runv("rmq-bench", unsigned_args);
    assert_int_equal(no->status, 1);

    const gchar *consumer_args[] = { "consumer", "-n", ns->addr, "-t", "ToolAclT", "-c", "20",
                                     "-d", "30", "--from-start", "--json", "-q",
                                     "--access-key", USER_AK, "--secret-key", USER_SK, NULL };
    g_autoptr(ToolRun) cons = tool_runv("rmq-bench", consumer_args);
    assert_status(cons, 0, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_signs),
        cmocka_unit_test(test_rmqadmin),
        cmocka_unit_test(test_rmq_bench),
    };
    return cmocka_run_group_tests_name("tools-acl", tests, setup, teardown);
}
