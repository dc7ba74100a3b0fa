// Bytes per source address, from C++, with RAII over the C handles.
//   c++ -std=c++17 top_talkers.cpp $(pkg-config --cflags --libs flowlog) -o top_talkers
#include <flowlog/flowlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct reader_deleter {
    void operator()(flowlog_reader *r) const { flowlog_reader_free(r); }
};
using reader_ptr = std::unique_ptr<flowlog_reader, reader_deleter>;

int main(int argc, char **argv)
{
    flowlog_reader *raw = nullptr;
    if (flowlog_reader_new(&raw, nullptr, nullptr) != FLOWLOG_OK)
        return 1;
    reader_ptr reader(raw);
    for (int i = 1; i < argc; i++)
        if (flowlog_reader_add_path(reader.get(), argv[i]) != FLOWLOG_OK)
            return 1;

    std::map<std::string, uint64_t> bytes_by_source;
    flowlog_record *rec;
    int rc;
    while ((rc = flowlog_reader_next(reader.get(), &rec)) != FLOWLOG_END) {
        if (rc < 0)
            continue;
        flowlog_addr src;
        uint64_t bytes;
        if (flowlog_record_get_addr(rec, FLOWLOG_FIELD_SRCADDR, &src) != FLOWLOG_OK ||
            flowlog_record_get_u64(rec, FLOWLOG_FIELD_BYTES, &bytes) != FLOWLOG_OK)
            continue;
        char text[64];
        flowlog_addr_format(&src, text, sizeof text);
        bytes_by_source[text] += bytes;
    }
    std::vector<std::pair<std::string, uint64_t>> top(bytes_by_source.begin(), bytes_by_source.end());
    std::sort(top.begin(), top.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    for (size_t i = 0; i < top.size() && i < 5; i++)
        std::printf("%s %llu\n", top[i].first.c_str(), static_cast<unsigned long long>(top[i].second));
    return 0;
}
