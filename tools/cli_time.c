/* Times as people write them on the command line, and as they read them;
 * the other values of the command line (numbers, sizes, protocols). */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The latest time taken: the end of year 9999 (ISO 8601's four digits). */
#define LATEST_TIME 253402300799ull

/* Exactly `n` digits at *s, as a number; advances *s. */
static bool digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), without the C
 * library's time zone. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* ISO 8601 date and time with an offset, in its extended form
 * (2024-01-02T12:00:00Z, 2024-01-02T12:00+05:30, a space for the T,
 * fractions of a second) or its basic form (20240102T120000Z). */
static bool parse_iso(const char *s, uint64_t *out)
{
    int y, mo, d, h, mi, sec = 0;
    bool extended = s[4] == '-';
    if (!digits(&s, 4, &y) || (extended && *s++ != '-') || !digits(&s, 2, &mo) || (extended && *s++ != '-') ||
        !digits(&s, 2, &d) || (*s != 'T' && *s != 't' && !(extended && *s == ' ')))
        return false;
    s++;
    if (!digits(&s, 2, &h) || (extended && *s++ != ':') || !digits(&s, 2, &mi))
        return false;
    if ((extended && *s == ':') || (!extended && isdigit((unsigned char)*s))) {
        s += extended;
        if (!digits(&s, 2, &sec))
            return false;
        if (*s == '.' || *s == ',') {
            s++;
            if (!isdigit((unsigned char)*s))
                return false;
            while (isdigit((unsigned char)*s))
                s++; /* a fraction: seconds are the unit here */
        }
    }
    int64_t offset = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
        if (!digits(&s, 2, &oh))
            return false;
        if (*s == ':' || isdigit((unsigned char)*s)) {
            if (*s == ':' && !extended)
                return false;
            s += *s == ':';
            if (!digits(&s, 2, &om))
                return false;
        }
        if (oh > 23 || om > 59)
            return false;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return false; /* no offset: the time would mean the reader's zone */
    }
    if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 || mi > 59 || sec > 60)
        return false;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    if (t < 0 || (uint64_t)t > LATEST_TIME)
        return false;
    *out = (uint64_t)t;
    return true;
}

bool cli_parse_time(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    size_t n = strspn(s, "0123456789");
    /* relative: 30s, 15m, 2h, 7d, 1w before now */
    if (n && n <= 9 && s[n] && !s[n + 1] && strchr("smhdw", s[n])) {
        static const struct {
            char unit;
            uint64_t seconds;
        } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
        uint64_t count = strtoull(s, NULL, 10), now = (uint64_t)time(NULL), ago = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (units[i].unit == s[n])
                ago = count * units[i].seconds;
        if (ago >= now)
            return false;
        *out = now - ago;
        return true;
    }
    if (strcmp(s, "now") == 0) {
        *out = (uint64_t)time(NULL);
        return true;
    }
    if (n == strlen(s)) {
        if (n > 12)
            return false;
        unsigned long long v = strtoull(s, NULL, 10);
        if (v > LATEST_TIME)
            return false;
        *out = v;
        return true;
    }
    return strlen(s) >= 14 && parse_iso(s, out);
}

const char *cli_time_text(uint64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "-");
    return buf;
}

bool cli_parse_number(const char *s, long long min, long long max, long long *out)
{
    /* digits only: no sign, no space, no 0x, no exponent, nothing after */
    size_t n = s ? strspn(s, "0123456789") : 0;
    if (n == 0 || s[n] || n > 18)
        return false;
    long long v = strtoll(s, NULL, 10);
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, long long min, long long max, long long *out)
{
    size_t n = s ? strspn(s, "0123456789") : 0;
    if (n == 0 || n > 15)
        return false;
    long long unit = 1;
    const char *suffix = s + n;
    if (*suffix) {
        static const char *const units = "KMG";
        const char *u = strchr(units, suffix[0]);
        if (!u || !*u || (suffix[1] && strcmp(suffix + 1, "iB") != 0 && strcmp(suffix + 1, "B") != 0))
            return false;
        unit = 1LL << (10 * (u - units + 1));
    }
    long long v = strtoll(s, NULL, 10);
    if (v > max / unit)
        return false;
    v *= unit;
    if (v < min)
        return false;
    *out = v;
    return true;
}

int cli_parse_protocol(const char *s)
{
    if (!strcmp(s, "tcp") || !strcmp(s, "TCP"))
        return 6;
    if (!strcmp(s, "udp") || !strcmp(s, "UDP"))
        return 17;
    if (!strcmp(s, "icmp") || !strcmp(s, "ICMP"))
        return 1;
    if (!strcmp(s, "icmpv6") || !strcmp(s, "ICMPv6") || !strcmp(s, "ipv6-icmp"))
        return 58;
    long long v;
    return cli_parse_number(s, 0, 255, &v) ? (int)v : -1;
}
