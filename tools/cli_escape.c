/* Log text is untrusted: a hostile line must not reach a terminal as an
 * escape sequence. C0 and C1 controls (CSI is 0x9b, or U+009B in UTF-8),
 * DEL and bytes that are not valid UTF-8 are shown as \xHH (each byte of
 * them); valid UTF-8 text passes as it is. */
#include "cli.h"

#include <string.h>

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 when
 * the byte at s does not start one, and its code point. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

size_t cli_escape(const char *s, size_t len, char *out, size_t cap, bool keep_newlines)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0, i = 0;
    /* printable ASCII, nearly all a flow log holds, passes in one copy */
    while (i < len && u[i] >= 0x20 && u[i] < 0x7f)
        i++;
    if (i) {
        n = i < cap ? i : cap ? cap - 1 : 0;
        memcpy(out, s, n);
        if (n < i)
            i = len; /* no room for more: cut as the loop would */
    }
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_char(u + i, len - i, &cp);
        bool show = k && (cp >= 0xa0 || (cp >= 0x20 && cp < 0x7f) || (cp == '\n' && keep_newlines));
        size_t take = k ? k : 1;
        if (show) {
            if (n + take >= cap)
                break;
            memcpy(out + n, u + i, take);
            n += take;
        } else {
            if (n + 4 * take >= cap)
                break;
            for (size_t j = 0; j < take; j++) {
                out[n++] = '\\';
                out[n++] = 'x';
                out[n++] = hex[u[i + j] >> 4];
                out[n++] = hex[u[i + j] & 15];
            }
        }
        i += take;
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

void cli_print_text(FILE *f, const char *s, size_t len, bool keep_newlines)
{
    char buf[1024];
    while (len) {
        /* pieces that end on a whole character: at most 200 bytes of input
         * become at most 800 of output */
        size_t piece = len < 200 ? len : 200;
        while (piece < len && piece > 0 && ((unsigned char)s[piece] & 0xc0) == 0x80)
            piece--;
        if (piece == 0)
            piece = len < 200 ? len : 200;
        cli_escape(s, piece, buf, sizeof buf, keep_newlines);
        fputs(buf, f);
        s += piece;
        len -= piece;
    }
}

void json_string(FILE *f, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    putc('"', f);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_char(u + i, len - i, &cp);
        if (k && cp >= 0xa0) {
            fwrite(u + i, 1, k, f);
            i += k;
            continue;
        }
        if (k && cp >= 0x20 && cp < 0x7f) {
            if (cp == '"' || cp == '\\')
                putc('\\', f);
            putc((int)cp, f);
            i++;
            continue;
        }
        /* a control character (C0, DEL, C1), or a byte that is not UTF-8:
         * JSON must be valid UTF-8, so such a byte stands as U+00HH */
        unsigned v = k ? (unsigned)cp : u[i];
        fputs("\\u00", f);
        putc(hex[v >> 4], f);
        putc(hex[v & 15], f);
        i += k ? k : 1;
    }
    putc('"', f);
}
