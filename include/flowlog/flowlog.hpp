/**
 * @file flowlog.hpp
 * A header-only C++17 wrapper over the C API: move-only handles that free
 * themselves, std::string_view for the text of records, range-for over the
 * records of a reader, and exceptions for errors.
 *
 * Why exceptions rather than an expected-style result: the failures this
 * wrapper reports are the ones a caller cannot go on from (a path that
 * cannot be queued, a query that does not compile, memory gone, a state
 * that does not load). Bad lines are not among them: the reader counts
 * them and goes on, as the C library does, and on_error() sees each. A
 * result type would be checked after every call for errors that do not
 * happen in a correct program, and C++17 has none in its library.
 *
 * Everything here is inline over the stable C ABI (libflowlog.so.1);
 * nothing of it is part of that ABI.
 */
#ifndef FLOWLOG_HPP
#define FLOWLOG_HPP

#include <flowlog/flowlog.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowlog {

/** A status of the library that is an error, with its message. */
class error : public std::runtime_error {
public:
    error(int status, const std::string &message)
        : std::runtime_error(message.empty() ? std::string(flowlog_strerror(status)) : message), status_(status)
    {
    }
    /** The FLOWLOG_E_* status. */
    int status() const noexcept { return status_; }
    /** Its name, e.g. "FLOWLOG_E_QUERY". */
    const char *name() const noexcept { return flowlog_status_name(status_); }

private:
    int status_;
};

namespace detail {
inline int check(int rc, const char *message = nullptr)
{
    if (rc < 0)
        throw error(rc, message && *message ? message : flowlog_strerror(rc));
    return rc;
}

/* A C handle that frees itself: move-only. */
template <class T, void (*Free)(T *)> class handle {
public:
    handle() noexcept = default;
    explicit handle(T *p) noexcept : p_(p) {}
    handle(handle &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    handle &operator=(handle &&o) noexcept
    {
        if (this != &o) {
            reset();
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    handle(const handle &) = delete;
    handle &operator=(const handle &) = delete;
    ~handle() { reset(); }
    void reset() noexcept
    {
        if (p_)
            Free(p_);
        p_ = nullptr;
    }
    T *get() const noexcept { return p_; }

private:
    T *p_ = nullptr;
};
} // namespace detail

/** An IPv4 or IPv6 address as the library holds it. */
class address {
public:
    address() noexcept : a_{} {}
    explicit address(const flowlog_addr &a) noexcept : a_(a) {}
    /** Parse text; throws error (FLOWLOG_E_MALFORMED) when it is not an address. */
    explicit address(std::string_view text) : a_{}
    {
        detail::check(flowlog_addr_parse(text.data(), text.size(), &a_), "not an IP address");
    }
    bool is_v4() const noexcept { return a_.family == FLOWLOG_AF_INET; }
    std::string str() const
    {
        char buf[64];
        int n = flowlog_addr_format(&a_, buf, sizeof buf);
        return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
    }
    const flowlog_addr &c() const noexcept { return a_; }

private:
    flowlog_addr a_;
};

/** A record the reader gave: valid until the reader moves on. */
class record {
public:
    explicit record(flowlog_record *r) noexcept : r_(r) {}
    /** The line as read. */
    std::string_view line() const noexcept
    {
        flowlog_span s = flowlog_record_line(r_);
        return {s.ptr, s.len};
    }
    /** A number (packets, bytes, ports, times); nullopt for `-` or a field the format lacks. */
    std::optional<uint64_t> u64(uint32_t field) const
    {
        uint64_t v = 0;
        int rc = flowlog_record_get_u64(r_, field, &v);
        return value(rc, v);
    }
    /** Text of any field, as in the line. */
    std::optional<std::string_view> str(uint32_t field) const
    {
        flowlog_span s{};
        int rc = flowlog_record_get_str(r_, field, &s);
        return value(rc, std::string_view(s.ptr ? s.ptr : "", s.len));
    }
    std::optional<address> addr(uint32_t field) const
    {
        flowlog_addr a{};
        int rc = flowlog_record_get_addr(r_, field, &a);
        return value(rc, address(a));
    }
    /** An enumerated field (action, log-status, ...) as its FLOWLOG_* value. */
    std::optional<int> enumeration(uint32_t field) const
    {
        int v = 0;
        int rc = flowlog_record_get_enum(r_, field, &v);
        return value(rc, v);
    }
    flowlog_record *c() const noexcept { return r_; }

private:
    template <class T> std::optional<T> value(int rc, T v) const
    {
        if (rc == FLOWLOG_ABSENT)
            return std::nullopt;
        detail::check(rc, flowlog_record_error_message(r_));
        return v;
    }
    flowlog_record *r_;
};

/** A reader over files, directories, memory or descriptors. Range-for
 * gives its records; bad lines are counted (count(FLOWLOG_COUNT_ERRORS))
 * and told to on_error(), never thrown. */
class reader {
public:
    using error_fn = std::function<void(std::string_view path, uint64_t line, int status, std::string_view message)>;

    reader() : reader(nullptr) {}
    explicit reader(const flowlog_schema *schema)
    {
        flowlog_reader *r = nullptr;
        flowlog_error_info why;
        detail::check(flowlog_reader_new_ex(&r, schema, nullptr, &why), why.message);
        h_ = decltype(h_)(r);
    }
    /** Queue a file, a directory (walked in name order) or "-". */
    reader &add(const std::string &path)
    {
        int rc = flowlog_reader_add_path(h_.get(), path.c_str());
        detail::check(rc, flowlog_reader_error_message(h_.get()));
        return *this;
    }
    /** Queue bytes the caller keeps alive until they are read. */
    reader &add_memory(std::string_view data, const std::string &name = "memory")
    {
        int rc = flowlog_reader_add_memory(h_.get(), data.data(), data.size(), name.c_str());
        detail::check(rc, flowlog_reader_error_message(h_.get()));
        return *this;
    }
    reader &set(int key, int64_t value)
    {
        detail::check(flowlog_reader_set(h_.get(), key, value));
        return *this;
    }
    /** Be told of every bad line and input; the function lives in the reader. */
    reader &on_error(error_fn fn)
    {
        on_error_ = std::make_unique<error_fn>(std::move(fn));
        detail::check(flowlog_reader_set_error_handler(h_.get(), &reader::tell, on_error_.get()));
        return *this;
    }
    uint64_t count(int counter) const noexcept { return flowlog_reader_count(h_.get(), counter); }
    /** The path and line of the record last given. */
    std::string_view path() const noexcept
    {
        const char *p = flowlog_reader_path(h_.get());
        return p ? p : "";
    }
    uint64_t line() const noexcept { return flowlog_reader_line(h_.get()); }

    /** The next record, or nullopt at the end; bad lines are passed over. */
    std::optional<record> next()
    {
        for (;;) {
            flowlog_record *rec;
            int rc = flowlog_reader_next(h_.get(), &rec);
            if (rc == FLOWLOG_END)
                return std::nullopt;
            if (rc == FLOWLOG_OK)
                return record(rec);
            if (rc == FLOWLOG_E_NOMEM || rc == FLOWLOG_NEED_MORE)
                detail::check(rc == FLOWLOG_NEED_MORE ? FLOWLOG_E_ARG : rc, "the reader needs a pushed input");
        }
    }

    class iterator {
    public:
        using value_type = record;
        explicit iterator(reader *r) : r_(r) { advance(); }
        const record &operator*() const noexcept { return *cur_; }
        const record *operator->() const noexcept { return &*cur_; }
        iterator &operator++()
        {
            advance();
            return *this;
        }
        bool operator!=(std::nullptr_t) const noexcept { return cur_.has_value(); }
        bool operator==(std::nullptr_t) const noexcept { return !cur_.has_value(); }

    private:
        void advance() { cur_ = r_->next(); }
        reader *r_;
        std::optional<record> cur_;
    };
    iterator begin() { return iterator(this); }
    std::nullptr_t end() const noexcept { return nullptr; }

    flowlog_reader *c() const noexcept { return h_.get(); }

private:
    static void tell(void *ctx, const char *path, uint64_t line, int status, const char *message)
    {
        (*static_cast<error_fn *>(ctx))(path ? path : "", line, status, message ? message : "");
    }
    detail::handle<flowlog_reader, flowlog_reader_free> h_;
    std::unique_ptr<error_fn> on_error_;
};

/** A cell of a query's row: null, a whole number, a float, text or a time (Unix seconds). */
struct value {
    enum kind { null = FLOWLOG_VALUE_NULL, integer = FLOWLOG_VALUE_INT, real = FLOWLOG_VALUE_FLOAT,
                text = FLOWLOG_VALUE_STRING, time = FLOWLOG_VALUE_TIME };
    kind type;
    int64_t i;
    double f;
    std::string_view s;
};

/** A CloudWatch Logs Insights query. */
class query {
public:
    explicit query(std::string_view text)
    {
        flowlog_query *q = nullptr;
        flowlog_error_info why;
        detail::check(flowlog_query_new_ex(&q, nullptr, &why), why.message);
        h_ = decltype(h_)(q);
        int rc = flowlog_query_compile(q, text.data(), text.size());
        detail::check(rc, flowlog_query_error_message(q));
    }
    query &set(int key, int64_t v)
    {
        detail::check(flowlog_query_set(h_.get(), key, v));
        return *this;
    }
    /** Group and sort past FLOWLOG_QOPT_MAX_MEMORY in temporary files of dir. */
    query &spill_to(const std::string &dir)
    {
        detail::check(flowlog_query_set_spill_dir(h_.get(), dir.c_str()));
        return *this;
    }
    std::vector<std::string> columns() const
    {
        std::vector<std::string> out;
        for (size_t i = 0; i < flowlog_query_column_count(h_.get()); i++)
            out.emplace_back(flowlog_query_column_name(h_.get(), i));
        return out;
    }
    /** The query over every record of r; fn(row) for each row, a row being
     * a vector of cells valid during the call; fn returns false to stop. */
    template <class Fn> void run(reader &r, Fn &&fn)
    {
        struct ctx_t {
            Fn *fn;
            size_t ncols;
            std::vector<value> row;
        } ctx{&fn, flowlog_query_column_count(h_.get()), {}};
        ctx.row.resize(ctx.ncols);
        auto call = [](void *c, const flowlog_query *q) -> int {
            auto *x = static_cast<ctx_t *>(c);
            for (size_t i = 0; i < x->ncols; i++) {
                flowlog_value v;
                (void)flowlog_query_cell(q, i, &v);
                x->row[i] = value{static_cast<value::kind>(v.type), v.i, v.f,
                                  std::string_view(v.s ? v.s : "", v.type == FLOWLOG_VALUE_STRING ? v.len : 0)};
            }
            return (*x->fn)(static_cast<const std::vector<value> &>(x->row)) ? 0 : 1;
        };
        int rc = flowlog_query_run(h_.get(), r.c(), call, &ctx);
        if (rc != FLOWLOG_END)
            detail::check(rc, flowlog_query_error_message(h_.get()));
    }
    flowlog_query *c() const noexcept { return h_.get(); }

private:
    detail::handle<flowlog_query, flowlog_query_free> h_;
};

/** A connectivity question (client, server, port, protocol) and its answer. */
class diagnosis {
public:
    diagnosis(const std::string &client, const std::string &server, unsigned port, int protocol = 6)
        : diagnosis(client, server, port, port, protocol)
    {
    }
    diagnosis(const std::string &client, const std::string &server, unsigned port_lo, unsigned port_hi, int protocol)
    {
        flowlog_diag *d = nullptr;
        flowlog_error_info why;
        detail::check(flowlog_diag_new_ex(&d, client.c_str(), server.c_str(), port_lo, port_hi, protocol, nullptr, &why),
                      why.message);
        h_ = decltype(h_)(d);
    }
    /** A state written by serialize(); throws on a corrupt or foreign one. */
    static diagnosis deserialize(std::string_view bytes)
    {
        flowlog_diag *d = nullptr;
        flowlog_error_info why;
        detail::check(flowlog_diag_deserialize_ex(&d, bytes.data(), bytes.size(), nullptr, &why), why.message);
        return diagnosis(d);
    }
    /** Every record of r as evidence; then complete() says if it was whole. */
    diagnosis &run(reader &r)
    {
        int rc = flowlog_diag_run(h_.get(), r.c());
        detail::check(rc, flowlog_diag_error_message(h_.get()));
        return *this;
    }
    int verdict() const noexcept { return flowlog_diag_verdict(h_.get()); }
    std::string verdict_name() const { return flowlog_verdict_name(verdict()); }
    std::string side_name() const { return flowlog_diag_side_name(flowlog_diag_side(h_.get())); }
    bool complete() const noexcept { return flowlog_diag_complete(h_.get()) == 1; }
    std::string explanation() const
    {
        size_t n = flowlog_diag_explain(h_.get(), nullptr, 0);
        std::string s(n, '\0');
        flowlog_diag_explain(h_.get(), s.data(), n + 1);
        return s;
    }
    /** Another part of the same question's evidence (read elsewhere) joined in. */
    diagnosis &merge(const diagnosis &other)
    {
        int rc = flowlog_diag_merge(h_.get(), other.h_.get());
        detail::check(rc, flowlog_diag_error_message(h_.get()));
        return *this;
    }
    std::string serialize() const
    {
        size_t need = 0;
        (void)flowlog_diag_serialize(h_.get(), nullptr, 0, &need);
        std::string out(need, '\0');
        detail::check(flowlog_diag_serialize(h_.get(), out.data(), out.size(), &need));
        return out;
    }
    flowlog_diag *c() const noexcept { return h_.get(); }

private:
    explicit diagnosis(flowlog_diag *d) : h_(d) {}
    detail::handle<flowlog_diag, flowlog_diag_free> h_;
};

/** Every client -> server:port conversation with a problem, most packets first. */
class sweep {
public:
    struct result {
        address client, server;
        unsigned port;
        int protocol;
        std::string verdict;
    };
    sweep()
    {
        flowlog_sweep *s = nullptr;
        flowlog_error_info why;
        detail::check(flowlog_sweep_new_ex(&s, nullptr, &why), why.message);
        h_ = decltype(h_)(s);
    }
    static sweep deserialize(std::string_view bytes)
    {
        flowlog_sweep *s = nullptr;
        flowlog_error_info why;
        detail::check(flowlog_sweep_deserialize_ex(&s, bytes.data(), bytes.size(), nullptr, &why), why.message);
        return sweep(s);
    }
    sweep &run(reader &r)
    {
        size_t n = 0;
        detail::check(flowlog_sweep_run(h_.get(), r.c(), &n));
        return *this;
    }
    std::vector<result> results()
    {
        size_t n = 0;
        detail::check(flowlog_sweep_finish(h_.get(), &n));
        std::vector<result> out;
        for (size_t i = 0; i < n; i++) {
            flowlog_addr c, s;
            unsigned port = 0;
            int protocol = 0, verdict = 0;
            detail::check(flowlog_sweep_result(h_.get(), i, &c, &s, &port, &protocol, &verdict));
            out.push_back(result{address(c), address(s), port, protocol, flowlog_verdict_name(verdict)});
        }
        return out;
    }
    sweep &merge(const sweep &other)
    {
        detail::check(flowlog_sweep_merge(h_.get(), other.h_.get()));
        return *this;
    }
    std::string serialize() const
    {
        size_t need = 0;
        (void)flowlog_sweep_serialize(h_.get(), nullptr, 0, &need);
        std::string out(need, '\0');
        detail::check(flowlog_sweep_serialize(h_.get(), out.data(), out.size(), &need));
        return out;
    }
    flowlog_sweep *c() const noexcept { return h_.get(); }

private:
    explicit sweep(flowlog_sweep *s) : h_(s) {}
    detail::handle<flowlog_sweep, flowlog_sweep_free> h_;
};

} // namespace flowlog

#endif
