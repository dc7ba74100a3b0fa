// The C++ wrapper (flowlog.hpp): records by range-for, bad lines counted and
// told rather than thrown, queries with their rows, errors as exceptions
// carrying the library's status and message, diagnoses that serialise,
// load and merge, handles that move. TAP output.
#include <flowlog/flowlog.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static int failed, run;

static void check(bool ok, const char *what)
{
    run++;
    if (!ok)
        failed++;
    std::printf("%s %d - %s\n", ok ? "ok" : "not ok", run, what);
}

static std::string data(const char *sub, const char *name)
{
    const char *dir = std::getenv(sub);
    return std::string(dir ? dir : ".") + "/" + name;
}

int main()
{
    const std::string tcp_flags = data("FLOWLOG_TEST_DATA", "aws-docs/tcp-flags.log");
    const std::string inbound = data("FLOWLOG_EXAMPLES_DATA", "lambda-rds-nacl-inbound.log");

    {
        flowlog::reader r;
        r.add(tcp_flags);
        size_t n = 0;
        uint64_t bytes = 0;
        for (const flowlog::record &rec : r) {
            n++;
            bytes += rec.u64(FLOWLOG_FIELD_BYTES).value_or(0);
        }
        check(n == r.count(FLOWLOG_COUNT_RECORDS) && n > 0, "range-for gives every record the reader counts");
        check(bytes > 23397117, "typed fields read through the record");
    }
    {
        static const std::string text = "2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 1 40 1700000000 1700000060 ACCEPT OK\n"
                                        "not a record\n"
                                        "2 1 eni-1 10.0.0.1 - 2 443 6 1 40 1700000000 1700000060 ACCEPT OK\n";
        flowlog::reader r;
        std::vector<std::string> told;
        r.on_error([&](std::string_view path, uint64_t line, int, std::string_view) {
            told.push_back(std::string(path) + ":" + std::to_string(line));
        });
        r.add_memory(text, "mem");
        std::vector<bool> have_dst;
        for (const flowlog::record &rec : r)
            have_dst.push_back(rec.addr(FLOWLOG_FIELD_DSTADDR).has_value());
        check(have_dst.size() == 2 && have_dst[0] && !have_dst[1], "a '-' field is nullopt, not an error");
        check(told.size() == 1 && told[0] == "mem:2" && r.count(FLOWLOG_COUNT_ERRORS) == 1,
              "a bad line is counted and told with its place, never thrown");
    }
    {
        flowlog::reader r;
        r.add(tcp_flags);
        flowlog::query q("stats sum(bytes) as b by srcAddr | sort b desc | limit 1");
        std::string top;
        int64_t b = 0;
        q.run(r, [&](const std::vector<flowlog::value> &row) {
            top = std::string(row[0].s);
            b = row[1].i;
            return true;
        });
        check(q.columns() == std::vector<std::string>{"srcAddr", "b"} && top == "52.213.180.42" && b == 23397117,
              "a query's rows, with their column names");
    }
    {
        bool thrown = false;
        try {
            flowlog::query q("stats count(*) by dstprot");
        } catch (const flowlog::error &e) {
            thrown = e.status() == FLOWLOG_E_QUERY && std::string(e.what()).find("dstport") != std::string::npos;
        }
        check(thrown, "a query that does not compile throws the library's status and message");
        thrown = false;
        try {
            flowlog::reader r;
            r.add("/nonexistent/flows.log");
            for (const auto &rec : r)
                (void)rec;
            thrown = r.count(FLOWLOG_COUNT_INPUT_ERRORS) == 1;
        } catch (const flowlog::error &) {
            thrown = true;
        }
        check(thrown, "a missing path is an error: thrown or counted as a failed input");
        thrown = false;
        try {
            flowlog::address a("10.0.0.300");
        } catch (const flowlog::error &e) {
            thrown = e.status() == FLOWLOG_E_MALFORMED;
        }
        check(thrown, "an address that is not one throws");
        check(flowlog::address("2001:db8::1").str() == "2001:db8::1" && flowlog::address("10.0.0.1").is_v4(),
              "addresses parse and print");
    }
    {
        flowlog::reader r;
        r.add(inbound);
        flowlog::diagnosis d("10.0.1.25", "10.0.2.10", 3306);
        d.run(r);
        check(d.verdict_name() == "blocked" && d.side_name() == "server" && d.complete(),
              "a diagnosis of the Lambda -> RDS scenario: blocked at the server, evidence complete");
        check(d.explanation().find("server's security group") != std::string::npos, "the explanation says what to check");
        std::string state = d.serialize();
        flowlog::diagnosis loaded = flowlog::diagnosis::deserialize(state);
        check(loaded.serialize() == state && loaded.verdict_name() == "blocked", "a serialised state loads the same");
        flowlog::diagnosis empty("10.0.1.25", "10.0.2.10", 3306);
        empty.merge(loaded);
        check(empty.verdict_name() == "blocked", "merging a part into an empty diagnosis gives its answer");
        flowlog::diagnosis moved = std::move(empty);
        check(moved.verdict_name() == "blocked" && empty.c() == nullptr, "a handle moves; the moved-from one is empty");
        bool thrown = false;
        try {
            flowlog::diagnosis::deserialize(state.substr(0, state.size() / 2));
        } catch (const flowlog::error &e) {
            thrown = e.status() == FLOWLOG_E_CORRUPT || e.status() == FLOWLOG_E_VERSION;
        }
        check(thrown, "a cut state is refused");
    }
    {
        const std::string dir = data("FLOWLOG_EXAMPLES_DATA", "");
        flowlog::reader all;
        all.add(dir);
        flowlog::sweep whole;
        whole.run(all);
        flowlog::reader one, two;
        one.add(inbound);
        two.add(data("FLOWLOG_EXAMPLES_DATA", "wrong-port.log"));
        flowlog::sweep a, b;
        a.run(one);
        b.run(two);
        flowlog::sweep merged = flowlog::sweep::deserialize(a.serialize());
        merged.merge(b);
        std::vector<flowlog::sweep::result> r = whole.results(), m = merged.results();
        check(!r.empty() && r[0].client.str() == "10.0.1.25" && !m.empty() && !m[0].verdict.empty(),
              "a sweep's problems, and parts that load and merge");
    }
    std::printf("1..%d\n", run);
    return failed ? 1 : 0;
}
