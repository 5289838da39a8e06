/*
 * Minimal Cotton Trace printer plugin in C: a plain-text (UTF-8) trace-card
 * label, model "TEXT". It shows everything a vendor's C plugin must do:
 *
 *   - export `cotton_plugin_entry`, returning a static table (ABI version 1);
 *   - answer DESCRIBE with JSON that matches the table;
 *   - RENDER: read the JSON print job, refuse anything malformed or invalid
 *     with COTTON_STATUS_INVALID_INPUT and a message, never crash; print the
 *     label the host sends ready to print (`title`, then every entry of
 *     `lines` as `label：value`), `copies` times;
 *   - hand every result back in a malloc'd buffer that `free_buf` frees;
 *   - answer any other operation with COTTON_STATUS_UNSUPPORTED.
 *
 * Build:  cc -shared -fPIC -std=c99 -Wall -Wextra -I ../../abi/include \
 *            text_printer.c -o libcotton_text_printer.so
 * Check:  cotton-plugin-conformance ./libcotton_text_printer.so
 *
 * It keeps no state, so it is trivially safe to call from any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotton_plugin.h"

#define STR(s) { (const uint8_t *)(s), sizeof(s) - 1 }
#define MAX_DEPTH 64
#define MAX_FIELD 1024

/* ------------------------------------------------------------ output */

/* Copies `len` bytes into a new malloc'd buffer in *out. */
static int32_t answer(CottonBuf *out, int32_t status, const char *bytes, size_t len) {
    out->ptr = (uint8_t *)malloc(len ? len : 1);
    if (!out->ptr) {
        out->len = 0;
        return COTTON_STATUS_INTERNAL;
    }
    memcpy(out->ptr, bytes, len);
    out->len = len;
    return status;
}

static int32_t refuse(CottonBuf *out, const char *message) {
    return answer(out, COTTON_STATUS_INVALID_INPUT, message, strlen(message));
}

static void free_buf(CottonBuf buf) { free(buf.ptr); }

/* ------------------------------------------------------------ JSON */

/* A strict JSON syntax check (RFC 8259), depth-limited. Returns the position
 * after the value, or NULL. */
static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *check_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return NULL;
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c == '\\') {
            if (++p >= end) return NULL;
            if (*p == 'u') {
                if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4])) return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *check_value(const char *p, const char *end, int depth);

static const char *check_number(const char *p, const char *end) {
    const char *start = p;
    if (p < end && *p == '-') p++;
    if (p >= end) return NULL;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < end && *p >= '0' && *p <= '9') p++;
    else return NULL;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    return p > start ? p : NULL;
}

static const char *check_literal(const char *p, const char *end, const char *word) {
    size_t n = strlen(word);
    return ((size_t)(end - p) >= n && memcmp(p, word, n) == 0) ? p + n : NULL;
}

static const char *check_container(const char *p, const char *end, int depth, char close) {
    p = skip_ws(p + 1, end);
    if (p < end && *p == close) return p + 1;
    for (;;) {
        if (close == '}') {
            p = check_string(p, end);
            if (!p) return NULL;
            p = skip_ws(p, end);
            if (p >= end || *p != ':') return NULL;
            p = skip_ws(p + 1, end);
        }
        p = check_value(p, end, depth + 1);
        if (!p) return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        return (p < end && *p == close) ? p + 1 : NULL;
    }
}

static const char *check_value(const char *p, const char *end, int depth) {
    if (depth > MAX_DEPTH || p >= end) return NULL;
    switch (*p) {
    case '{': return check_container(p, end, depth, '}');
    case '[': return check_container(p, end, depth, ']');
    case '"': return check_string(p, end);
    case 't': return check_literal(p, end, "true");
    case 'f': return check_literal(p, end, "false");
    case 'n': return check_literal(p, end, "null");
    default: return check_number(p, end);
    }
}

/* Appends the UTF-8 encoding of code point `cp`. */
static size_t put_utf8(char *dst, unsigned long cp) {
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) { dst[0] = (char)(0xC0 | (cp >> 6)); dst[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12)); dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18)); dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); dst[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

/* Finds `"key":` in an already syntax-checked document (the keys of a print
 * job are unique) and returns the position of its value, or NULL. */
static const char *find_key(const char *p, const char *end, const char *key) {
    size_t n = strlen(key);
    for (; p + n + 2 < end; p++) {
        if (p[0] == '"' && memcmp(p + 1, key, n) == 0 && p[n + 1] == '"') {
            const char *q = skip_ws(p + n + 2, end);
            if (q < end && *q == ':') return skip_ws(q + 1, end);
        }
    }
    return NULL;
}

/* Decodes the JSON string value of `key` into dst (NUL-terminated, at most
 * MAX_FIELD bytes). Returns 0 on success. */
static int string_field(const char *doc, const char *end, const char *key, char *dst) {
    const char *p = find_key(doc, end, key);
    size_t n = 0;
    if (!p || *p != '"') return -1;
    for (p++; p < end && *p != '"'; p++) {
        unsigned long cp;
        if (n + 4 >= MAX_FIELD) return -1;
        if (*p != '\\') { dst[n++] = *p; continue; }
        p++;
        switch (*p) {
        case 'n': dst[n++] = '\n'; break;
        case 't': dst[n++] = '\t'; break;
        case 'r': dst[n++] = '\r'; break;
        case 'b': dst[n++] = '\b'; break;
        case 'f': dst[n++] = '\f'; break;
        case 'u':
            cp = strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p > 6 && p[1] == '\\' && p[2] == 'u') {
                unsigned long lo = strtoul((char[5]){p[3], p[4], p[5], p[6], 0}, NULL, 16);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            n += put_utf8(dst + n, cp);
            break;
        default: dst[n++] = *p; break;
        }
    }
    dst[n] = 0;
    return 0;
}

/* The integer value of `key`, or -1. */
static long int_field(const char *doc, const char *end, const char *key) {
    const char *p = find_key(doc, end, key);
    long v = 0;
    if (!p || *p < '0' || *p > '9') return -1;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > 1000000) return -1;
    }
    return v;
}

/* ------------------------------------------------------------ card numbers */

/* Damm check over the 13 digits after "TC": a valid number ends at interim 0. */
static int card_no_ok(const char *s) {
    static const unsigned char damm[10][10] = {
        {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
        {4, 2, 0, 6, 8, 7, 1, 3, 5, 9}, {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
        {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
        {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
        {9, 4, 3, 8, 6, 1, 7, 2, 0, 5}, {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
    };
    int interim = 0, i;
    if (strlen(s) != 15 || s[0] != 'T' || s[1] != 'C') return 0;
    for (i = 2; i < 15; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        interim = damm[interim][s[i] - '0'];
    }
    return interim == 0;
}

/* ------------------------------------------------------------ operations */

static const char DESCRIBE[] =
    "{\"wireVersion\":1,\"kind\":\"PRINTER\",\"name\":\"cotton-text-printer\",\"model\":\"TEXT\","
    "\"version\":\"1.0.0\",\"description\":\"纯文本标签（C示例插件）\","
    "\"printer\":{\"output\":{\"mimeType\":\"text/plain; charset=utf-8\",\"fileExtension\":\"txt\"}}}";

/* A growing output buffer; `failed` once an allocation failed. */
typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} Out;

static void put(Out *o, const char *s, size_t n) {
    if (o->failed) return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        char *p;
        while (cap < o->len + n) cap *= 2;
        p = (char *)realloc(o->p, cap);
        if (!p) {
            o->failed = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_str(Out *o, const char *s) { put(o, s, strlen(s)); }

/* Appends one label: the title and the lines the host sent (`"lines":
 * [{"label":…,"value":…},…]`), each as `label：value`. Returns NULL on
 * success, else the reason the lines are malformed. */
static const char *put_lines(Out *o, const char *doc, const char *end, const char *title) {
    const char *p = find_key(doc, end, "lines");
    char label[MAX_FIELD], value[MAX_FIELD];
    if (!p || *p != '[') return "打印请求缺少标签行（lines）";
    put_str(o, title);
    put_str(o, "\n");
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') return "标签行（lines）为空";
    for (;;) {
        const char *obj_end;
        if (p >= end || *p != '{') return "标签行应为对象";
        obj_end = check_value(p, end, 0);
        if (!obj_end || string_field(p, obj_end, "label", label) || string_field(p, obj_end, "value", value) || !label[0])
            return "标签行应有label和value文字";
        put_str(o, label);
        put_str(o, "：");
        put_str(o, value);
        put_str(o, "\n");
        p = skip_ws(obj_end, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == ']') return NULL;
        return "标签行（lines）不是有效的数组";
    }
}

static int32_t render(const char *doc, size_t len, CottonBuf *out) {
    const char *end = doc + len;
    const char *p = skip_ws(doc, end);
    char card[MAX_FIELD], grower[MAX_FIELD], unit[MAX_FIELD], ticket[MAX_FIELD], enterprise[MAX_FIELD], title[MAX_FIELD];
    const char *bad;
    long copies, i;
    Out label = {NULL, 0, 0, 0}, all = {NULL, 0, 0, 0};

    if (p >= end || *p != '{') return refuse(out, "打印请求应为JSON对象");
    p = check_value(p, end, 0);
    if (!p || skip_ws(p, end) != end) return refuse(out, "打印请求不是有效的JSON");
    if (string_field(doc, end, "cardNo", card) || string_field(doc, end, "growerName", grower) ||
        string_field(doc, end, "unitName", unit) || string_field(doc, end, "ticketNo", ticket) ||
        string_field(doc, end, "enterpriseName", enterprise))
        return refuse(out, "打印请求缺少追溯卡号、种植者、追溯单元、磅单号或加工企业");
    if (!card_no_ok(card)) return refuse(out, "追溯卡号无效（格式或校验位错误）");
    if (!grower[0] || !unit[0] || !ticket[0] || !enterprise[0]) return refuse(out, "种植者、追溯单元、磅单号和加工企业不能为空");
    copies = int_field(doc, end, "copies");
    if (copies < 1 || copies > 100) return refuse(out, "打印份数应为1至100");

    /* The host sends the label ready to print: `title` and `lines`. */
    if (string_field(doc, end, "title", title) || !title[0]) return refuse(out, "打印请求缺少标签标题（title）");
    bad = put_lines(&label, doc, end, title);
    if (bad) {
        free(label.p);
        return refuse(out, bad);
    }
    put_str(&label, "\f");
    for (i = 0; i < copies; i++) put(&all, label.p, label.len);
    free(label.p);
    if (label.failed || all.failed) {
        free(all.p);
        return COTTON_STATUS_INTERNAL;
    }
    out->ptr = (uint8_t *)all.p;
    out->len = all.len;
    return COTTON_STATUS_OK;
}

static int32_t call(uint32_t op, const uint8_t *input, size_t input_len, CottonBuf *out) {
    if (!out) return COTTON_STATUS_INVALID_INPUT;
    out->ptr = NULL;
    out->len = 0;
    if (input_len && !input) return refuse(out, "输入为空指针");
    switch (op) {
    case COTTON_OP_DESCRIBE:
        return answer(out, COTTON_STATUS_OK, DESCRIBE, sizeof DESCRIBE - 1);
    case COTTON_OP_RENDER:
        return render((const char *)input, input_len, out);
    default: {
        static const char msg[] = "TEXT打印机插件不支持此操作";
        return answer(out, COTTON_STATUS_UNSUPPORTED, msg, sizeof msg - 1);
    }
    }
}

static const CottonPluginTable TABLE = {
    COTTON_PLUGIN_ABI_VERSION,
    sizeof(CottonPluginTable),
    COTTON_KIND_PRINTER,
    COTTON_WIRE_VERSION,
    STR("cotton-text-printer"),
    STR("TEXT"),
    STR("1.0.0"),
    call,
    free_buf,
    NULL,
};

const CottonPluginTable *cotton_plugin_entry(uint32_t host_abi_version) {
    return host_abi_version == COTTON_PLUGIN_ABI_VERSION ? &TABLE : NULL;
}
