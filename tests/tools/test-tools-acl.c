/* Signing clients against a real rmq-broker with aclEnable: the C client
 * library (rmq_instance_set_credentials), rmqadmin and rmq-bench with
 * --access-key/--secret-key, RMQ_ACCESS_KEY/RMQ_SECRET_KEY and
 * --credentials FILE (refused unless only its owner may read it); and
 * rmqadmin's ACL subcommands (updateAclConfig, deleteAclConfig,
 * updateGlobalWhiteAddr, clusterAclConfigVersion, getAclConfig) end to end,
 * with mqadmin's output lines and --json. */
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
static gchar *acl_path;

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    broker = bk_broker_new(ns->addr, NULL);
    acl_path = g_build_filename(broker->dir, "plain_acl.yml", NULL);
    const gchar *acl = acl_path;
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
    g_autofree gchar *extra = g_strdup_printf("aclEnable = true;\nplainAclFile = \"%s\";\n", acl);
    bk_daemon_append_conf(broker, extra);
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
    g_free(acl_path);
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

#define SIGNED_ADMIN "--access-key", ADMIN_AK, "--secret-key", ADMIN_SK

static void
assert_out(const ToolRun *r, const gchar *needle)
{
    if (r->status != 0 || strstr(r->out, needle) == NULL)
        fail_msg("expected status 0 and '%s' on stdout, got %d: %s%s", needle, r->status, r->out,
                 r->err);
}

/* The ACL subcommands against the broker, signed as the admin. */
static void
test_rmqadmin_acl_commands(void **state)
{
    (void) state;
    /* unsigned and non-admin: refused with Java's remark (exit 5) */
    g_autoptr(ToolRun) none = admin("updateAclConfig", "-b", broker->addr, "-a", "cliUser001",
                                    "-s", "cliSecret001", NULL);
    assert_status(none, 5, "No accessKey is configured");
    g_autoptr(ToolRun) user = admin("getAclConfig", "-b", broker->addr, "--access-key", USER_AK,
                                    "--secret-key", USER_SK, NULL);
    assert_status(user, 5, "Need admin permission for request code=54");
    g_autoptr(ToolRun) usage = admin("updateAclConfig", "-b", broker->addr, "-a", "cliUser001",
                                     SIGNED_ADMIN, NULL);
    assert_status(usage, 2, "-s SECRET_KEY");

    /* create, by cluster name (every broker of the cluster) */
    g_autoptr(ToolRun) add = admin("updateAclConfig", "-c", "DefaultCluster", "-a", "cliUser001",
                                   "-s", "cliSecret001", "-i", "DENY", "-u", "SUB", "-t",
                                   "CliT1=PUB,CliT2=SUB", "-g", "CliG=SUB", "-m", "false",
                                   "-w", "10.0.0.*", SIGNED_ADMIN, NULL);
    g_autofree gchar *line = g_strdup_printf("create or update plain access config to %s success.",
                                             broker->addr);
    assert_out(add, line);
    /* the account signs at once */
    g_autoptr(ToolRun) send = admin("sendMessage", "-t", "ToolAclT", "-p", "x", "--access-key",
                                    "cliUser001", "--secret-key", "cliSecret001", NULL);
    assert_status(send, 5, "topic:ToolAclT");

    /* getAclConfig: mqadmin's layout, secrets as mqadmin prints them */
    g_autoptr(ToolRun) get = admin("getAclConfig", "-b", broker->addr, SIGNED_ADMIN, NULL);
    assert_out(get, "\naccounts:\n");
    assert_out(get, "  accessKey         : cliUser001\n"
                    "  secretKey         : cliSecret001\n"
                    "  whiteRemoteAddress: 10.0.0.*\n"
                    "  admin             : false\n"
                    "  defaultTopicPerm  : DENY\n"
                    "  defaultGroupPerm  : SUB\n"
                    "  topicPerms        : [CliT1=PUB, CliT2=SUB]\n"
                    "  groupPerms        : [CliG=SUB]\n");
    assert_out(get, "globalWhiteRemoteAddresses: []\n");
    /* the alias, with --json */
    g_autoptr(ToolRun) getj = tool_rmqadmin(ns->addr, TRUE, "getAccessConfigSubCommand", "-c",
                                            "DefaultCluster", SIGNED_ADMIN, NULL);
    tool_assert_ok(getj);
    JsonObject *byaddr = tool_obj(getj->json);
    assert_non_null(byaddr);
    JsonObject *cfg = json_object_get_object_member(byaddr, broker->addr);
    assert_int_equal(json_array_get_length(json_object_get_array_member(cfg, "plainAccessConfigs")),
                     3);

    /* the version moves with each change */
    g_autoptr(ToolRun) v1 = tool_rmqadmin(ns->addr, TRUE, "clusterAclConfigVersion", "-b",
                                          broker->addr, SIGNED_ADMIN, NULL);
    tool_assert_ok(v1);
    JsonObject *info = json_object_get_object_member(tool_obj(v1->json), broker->addr);
    assert_string_equal(json_object_get_string_member(info, "brokerName"), "broker-a");
    assert_string_equal(json_object_get_string_member(info, "clusterName"), "DefaultCluster");
    JsonObject *files = json_object_get_object_member(info, "allAclConfigDataVersion");
    gint64 counter1 = json_object_get_int_member(json_object_get_object_member(files, acl_path),
                                                 "counter");
    assert_true(counter1 >= 1);

    g_autoptr(ToolRun) white = admin("updateGlobalWhiteAddr", "-b", broker->addr, "-g",
                                     "10.10.103.*,192.168.0.*", SIGNED_ADMIN, NULL);
    g_autofree gchar *wline =
        g_strdup_printf("update global white remote addresses to %s success.", broker->addr);
    assert_out(white, wline);
    g_autoptr(ToolRun) wrong = admin("updateGlobalWhiteAddr", "-b", broker->addr, "-g", "1.1.1.1",
                                     "-p", "/elsewhere/plain_acl.yml", SIGNED_ADMIN, NULL);
    assert_status(wrong, 5, "has been updated failed");

    g_autoptr(ToolRun) table = admin("clusterAclConfigVersion", "-c", "DefaultCluster",
                                     SIGNED_ADMIN, NULL);
    assert_out(table, "#Cluster Name");
    assert_out(table, "#AclConfigVersionNum");
    assert_out(table, acl_path);
    assert_out(table, "get cluster's plain access config version success.");
    g_autofree gchar *counter2 = g_strdup_printf("  %" G_GINT64_FORMAT "  ", counter1 + 1);
    assert_out(table, counter2);
    /* with -b mqadmin prints the rows without the header */
    g_autoptr(ToolRun) one = admin("clusterAclConfigVersion", "-b", broker->addr, SIGNED_ADMIN,
                                   NULL);
    assert_out(one, "get broker's plain access config version success.");
    assert_out(one, "DefaultCluster    ");
    assert_null(strstr(one->out, "#Cluster Name"));

    /* delete, by the alias */
    g_autoptr(ToolRun) del = admin("deleteAccessConfig", "-b", broker->addr, "-a", "cliUser001",
                                   SIGNED_ADMIN, NULL);
    assert_out(del, "account's accesskey is:cliUser001");
    g_autoptr(ToolRun) again = admin("deleteAclConfig", "-b", broker->addr, "-a", "cliUser001",
                                     SIGNED_ADMIN, NULL);
    assert_status(again, 5, "has been deleted failed");
    /* --json: the edit's value and the brokers that took it */
    g_autoptr(ToolRun) wjson = tool_rmqadmin(ns->addr, TRUE, "updateGlobalWhiteAddr", "-b",
                                             broker->addr, "-g", "10.10.103.*,192.168.0.*",
                                             SIGNED_ADMIN, NULL);
    tool_assert_ok(wjson);
    assert_string_equal(json_object_get_string_member(tool_obj(wjson->json), "globalWhiteAddrs"),
                        "10.10.103.*,192.168.0.*");
    JsonArray *took = json_object_get_array_member(tool_obj(wjson->json), "brokers");
    assert_int_equal(json_array_get_length(took), 1);
    assert_string_equal(json_array_get_string_element(took, 0), broker->addr);
    g_autoptr(ToolRun) after = admin("getAclConfig", "-b", broker->addr, SIGNED_ADMIN, NULL);
    assert_out(after, "globalWhiteRemoteAddresses: [10.10.103.*, 192.168.0.*]");
    assert_null(strstr(after->out, "cliUser001"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_signs),
        cmocka_unit_test(test_rmqadmin),
        cmocka_unit_test(test_rmq_bench),
        cmocka_unit_test(test_rmqadmin_acl_commands),
    };
    return cmocka_run_group_tests_name("tools-acl", tests, setup, teardown);
}
