// Bytes per source address, from C++ with the header-only wrapper
// (flowlog/flowlog.hpp): range-for over records, RAII, exceptions.
//   c++ -std=c++17 top_talkers.cpp $(pkg-config --cflags --libs flowlog) -o top_talkers
// And the Lambda -> RDS question, with a diagnosis:
//   ./top_talkers --diagnose 10.0.1.25 10.0.2.10 3306 examples/data/lambda-rds-nacl-inbound.log
#include <flowlog/flowlog.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

static int diagnose(int argc, char **argv)
{
    if (argc < 6) {
        std::fprintf(stderr, "usage: top_talkers --diagnose CLIENT SERVER PORT PATH...\n");
        return 2;
    }
    flowlog::reader reader;
    for (int i = 5; i < argc; i++)
        reader.add(argv[i]);
    flowlog::diagnosis d(argv[2], argv[3], static_cast<unsigned>(std::atoi(argv[4])));
    d.run(reader);
    std::printf("verdict: %s\nside: %s\n%s\n", d.verdict_name().c_str(), d.side_name().c_str(), d.explanation().c_str());
    return d.complete() ? 0 : 3;
}

int main(int argc, char **argv)
try {
    if (argc > 1 && std::strcmp(argv[1], "--diagnose") == 0)
        return diagnose(argc, argv);
    flowlog::reader reader;
    for (int i = 1; i < argc; i++)
        reader.add(argv[i]);
    std::map<std::string, uint64_t> bytes_by_source;
    for (const flowlog::record &rec : reader) {
        auto src = rec.addr(FLOWLOG_FIELD_SRCADDR);
        auto bytes = rec.u64(FLOWLOG_FIELD_BYTES);
        if (src && bytes)
            bytes_by_source[src->str()] += *bytes;
    }
    std::vector<std::pair<std::string, uint64_t>> top(bytes_by_source.begin(), bytes_by_source.end());
    std::sort(top.begin(), top.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    for (size_t i = 0; i < top.size() && i < 5; i++)
        std::printf("%s %llu\n", top[i].first.c_str(), static_cast<unsigned long long>(top[i].second));
    return reader.count(FLOWLOG_COUNT_ERRORS) ? 1 : 0;
} catch (const flowlog::error &e) {
    std::fprintf(stderr, "top_talkers: %s\n", e.what());
    return e.status() == FLOWLOG_E_NOMEM ? 3 : 2;
}
