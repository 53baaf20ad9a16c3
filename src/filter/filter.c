#include <config.h>

#include "filter/filter.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(rmq-filter-error-quark, rmq_filter_error)

/* ---- values -------------------------------------------------------------- */

/* Java's boxed types as the filter sees them: Integer and Long stay apart
 * because Java converts a property with Integer.valueOf or Long.valueOf
 * depending on the literal it meets. */
typedef enum { V_NULL, V_BOOL, V_INT, V_LONG, V_DOUBLE, V_STRING } ValType;

typedef struct {
    ValType t;
    gboolean b;
    gint64 l;     /* V_INT (in int range) and V_LONG */
    gdouble d;
    const gchar *s;
    gsize slen;
} Val;

/* ---- tree ---------------------------------------------------------------- */

typedef enum {
    N_CONST, N_PROP, N_NEG, N_NOT, N_CAST, N_AND, N_OR, N_EQ, N_GT, N_GE, N_LT, N_LE, N_IN,
} NodeKind;

typedef struct Node Node;
struct Node {
    NodeKind kind;
    Val v;            /* N_CONST */
    const gchar *name; /* N_PROP */
    Node *l, *r;      /* N_NEG/N_NOT/N_CAST/N_IN: l only */
    GArray *list;     /* N_IN: Val (strings) */
    gboolean not;     /* N_IN */
    gsize start, end; /* source span, for messages */
    guint depth;      /* of the subtree: evaluation recurses this deep */
};

/* Expressions come from clients: nesting (of the parser's recursion and of
 * the tree the evaluator walks) is bounded, where Java would run out of
 * stack. */
#define MAX_DEPTH 1000

struct _RmqFilter {
    gint ref;
    gchar *text;
    Node *root;
    GPtrArray *nodes; /* every Node, owned */
    GPtrArray *strs;  /* every string a node points to, owned */
};

/* ---- lexer --------------------------------------------------------------- */

typedef enum {
    T_EOF, T_NOT, T_AND, T_OR, T_BETWEEN, T_IN, T_TRUE, T_FALSE, T_NULL, T_IS,
    T_DECIMAL, T_FLOAT, T_STRING, T_ID,
    T_EQ, T_NE, T_GT, T_GE, T_LT, T_LE, T_LPAREN, T_RPAREN, T_COMMA, T_PLUS, T_MINUS,
} TokKind;

static const gchar *const keywords[] = {
    [T_NOT] = "NOT", [T_AND] = "AND", [T_OR] = "OR", [T_BETWEEN] = "BETWEEN", [T_IN] = "IN",
    [T_TRUE] = "TRUE", [T_FALSE] = "FALSE", [T_NULL] = "NULL", [T_IS] = "IS",
};

typedef struct {
    TokKind kind;
    gsize start, len;
    gint line, col;
} Token;

#define LOOKAHEAD 3

typedef struct {
    const gchar *text;
    gsize n, pos;
    /* JavaCC's position rules (SimpleCharStream): a column per character,
     * tabs to the next multiple of 8, \r\n one line break */
    gint line, col;
    gboolean prev_cr, prev_lf;
    Token la[LOOKAHEAD];
    guint nla;
    GError **error;
    gint *err_line, *err_col;
    RmqFilter *f;
    guint nesting;  /* parse_unary calls in progress */
} Parser;

static void
fail_at(Parser *p, gint code, gint line, gint col, const gchar *fmt, ...) G_GNUC_PRINTF(5, 6);

static void
fail_at(Parser *p, gint code, gint line, gint col, const gchar *fmt, ...)
{
    if (p->err_line != NULL)
        *p->err_line = line;
    if (p->err_col != NULL)
        *p->err_col = col;
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(p->error, RMQ_FILTER_ERROR, code, msg);
}

/* Position of the byte at p->pos once consumed. */
static void
advance(Parser *p)
{
    guchar c = (guchar) p->text[p->pos++];
    if ((c & 0xC0) == 0x80)
        return; /* UTF-8 continuation: same character */
    p->col++;
    if (p->prev_lf) {
        p->prev_lf = FALSE;
        p->line++;
        p->col = 1;
    } else if (p->prev_cr) {
        p->prev_cr = FALSE;
        if (c == '\n') {
            p->prev_lf = TRUE;
        } else {
            p->line++;
            p->col = 1;
        }
    }
    if (c == '\r')
        p->prev_cr = TRUE;
    else if (c == '\n')
        p->prev_lf = TRUE;
    else if (c == '\t')
        p->col = (p->col - 1) + (8 - (p->col - 1) % 8);
}

static gboolean
is_digit(gchar c)
{
    return c >= '0' && c <= '9';
}

static gboolean
is_id_start(gchar c)
{
    return g_ascii_isalpha(c) || c == '_' || c == '$';
}

static gboolean
is_id_part(gchar c)
{
    return is_id_start(c) || is_digit(c);
}

static gchar
at(const Parser *p, gsize i)
{
    return i < p->n ? p->text[i] : '\0';
}

/* Skip blanks and comments. A "--" comment needs its line end, else "-" is
 * a token (JavaCC keeps the longest token that completes). */
static void
skip_blanks(Parser *p)
{
    for (;;) {
        gchar c = at(p, p->pos);
        if (p->pos < p->n && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
            advance(p);
        } else if (c == '-' && at(p, p->pos + 1) == '-') {
            gsize e = p->pos + 2;
            while (e < p->n && p->text[e] != '\n' && p->text[e] != '\r')
                e++;
            if (e >= p->n)
                return;
            if (p->text[e] == '\r' && at(p, e + 1) == '\n')
                e++;
            while (p->pos <= e)
                advance(p);
        } else if (c == '/' && at(p, p->pos + 1) == '*') {
            const gchar *close = g_strstr_len(p->text + p->pos + 2, (gssize) (p->n - p->pos - 2),
                                              "*/");
            if (close == NULL)
                return;
            gsize e = (gsize) (close - p->text) + 2;
            while (p->pos < e)
                advance(p);
        } else {
            return;
        }
    }
}

static gsize
exponent_end(const Parser *p, gsize j)
{
    if (at(p, j) != 'e' && at(p, j) != 'E')
        return j;
    gsize k = j + 1;
    if (at(p, k) == '+' || at(p, k) == '-')
        k++;
    if (!is_digit(at(p, k)))
        return j;
    while (is_digit(at(p, k)))
        k++;
    return k;
}

/* Longest of DECIMAL_LITERAL ("0" | [1-9][0-9]*[lL]?) and
 * FLOATING_POINT_LITERAL at @s. */
static gsize
number_len(const Parser *p, gsize s, TokKind *kind)
{
    gsize i = s;
    while (is_digit(at(p, i)))
        i++;
    gsize digits = i - s, dec = 0, flt = 0;
    if (digits > 0)
        dec = p->text[s] == '0' ? 1 : digits + (at(p, i) == 'l' || at(p, i) == 'L');
    if (digits > 0 && at(p, i) == '.') {
        gsize j = i + 1;
        while (is_digit(at(p, j)))
            j++;
        flt = exponent_end(p, j) - s;
    } else if (digits == 0 && at(p, s) == '.' && is_digit(at(p, s + 1))) {
        gsize j = s + 1;
        while (is_digit(at(p, j)))
            j++;
        flt = exponent_end(p, j) - s;
    } else if (digits > 0) {
        gsize j = exponent_end(p, i);
        flt = j > i ? j - s : 0;
    }
    *kind = flt > dec ? T_FLOAT : T_DECIMAL;
    return MAX(flt, dec);
}

static gboolean
lex(Parser *p, Token *t)
{
    skip_blanks(p);
    t->start = p->pos;
    if (p->pos >= p->n) {
        t->kind = T_EOF;
        t->len = 0;
        t->line = p->line;
        t->col = p->col + 1;
        return TRUE;
    }
    gsize s = p->pos, len = 1;
    gchar c = p->text[s];
    if (is_id_start(c)) {
        while (is_id_part(at(p, s + len)))
            len++;
        t->kind = T_ID;
        for (guint k = T_NOT; k <= T_IS; k++)
            if (strlen(keywords[k]) == len && g_ascii_strncasecmp(keywords[k], p->text + s, len) == 0)
                t->kind = (TokKind) k;
    } else if (is_digit(c) || (c == '.' && is_digit(at(p, s + 1)))) {
        len = number_len(p, s, &t->kind);
    } else if (c == '\'') {
        gsize i = s + 1;
        for (;;) {
            if (i >= p->n) {
                while (p->pos < p->n)
                    advance(p);
                fail_at(p, RMQ_FILTER_ERROR_LEXICAL, p->line, p->col,
                        "Lexical error at line %d, column %d.  Encountered: <EOF> after : "
                        "\"%.*s\"",
                        p->line, p->col, (int) (p->n - s), p->text + s);
                return FALSE;
            }
            if (p->text[i] == '\'') {
                if (at(p, i + 1) == '\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        len = i + 1 - s;
        t->kind = T_STRING;
    } else {
        switch (c) {
        case '=': t->kind = T_EQ; break;
        case '(': t->kind = T_LPAREN; break;
        case ')': t->kind = T_RPAREN; break;
        case ',': t->kind = T_COMMA; break;
        case '+': t->kind = T_PLUS; break;
        case '-': t->kind = T_MINUS; break;
        case '<':
            if (at(p, s + 1) == '>') {
                t->kind = T_NE;
                len = 2;
            } else if (at(p, s + 1) == '=') {
                t->kind = T_LE;
                len = 2;
            } else {
                t->kind = T_LT;
            }
            break;
        case '>':
            if (at(p, s + 1) == '=') {
                t->kind = T_GE;
                len = 2;
            } else {
                t->kind = T_GT;
            }
            break;
        default: {
            advance(p);
            gsize clen = 1;
            while (s + clen < p->n && ((guchar) p->text[s + clen] & 0xC0) == 0x80)
                clen++;
            gunichar u = g_utf8_get_char_validated(p->text + s, (gssize) clen);
            fail_at(p, RMQ_FILTER_ERROR_LEXICAL, p->line, p->col,
                    "Lexical error at line %d, column %d.  Encountered: \"%.*s\" (%d), "
                    "after : \"\"",
                    p->line, p->col, (int) clen, p->text + s,
                    u == (gunichar) -1 || u == (gunichar) -2 ? (guchar) c : (gint) u);
            return FALSE;
        }
        }
    }
    advance(p);
    t->line = p->line;
    t->col = p->col;
    while (p->pos < s + len)
        advance(p);
    t->len = len;
    return TRUE;
}

/* The k-th token ahead (0 = next), lexed on demand as JavaCC does: a
 * lexical error surfaces only when the parser looks that far. */
static Token *
peek(Parser *p, guint k)
{
    while (p->nla <= k) {
        if (!lex(p, &p->la[p->nla]))
            return NULL;
        p->nla++;
    }
    return &p->la[k];
}

static void
consume(Parser *p, Token *out)
{
    if (out != NULL)
        *out = p->la[0];
    memmove(&p->la[0], &p->la[1], sizeof(Token) * (LOOKAHEAD - 1));
    p->nla--;
}

static const gchar *
token_name(TokKind k)
{
    switch (k) {
    case T_EOF: return "<EOF>";
    case T_DECIMAL: return "<DECIMAL_LITERAL>";
    case T_FLOAT: return "<FLOATING_POINT_LITERAL>";
    case T_STRING: return "<STRING_LITERAL>";
    case T_ID: return "<ID>";
    default: return NULL;
    }
}

static void
fail_token(Parser *p, const Token *t, const gchar *expecting)
{
    const gchar *kind = token_name(t->kind);
    if (t->kind == T_EOF)
        fail_at(p, RMQ_FILTER_ERROR_SYNTAX, t->line, t->col,
                "Encountered \"<EOF>\" at line %d, column %d. Was expecting %s", t->line, t->col,
                expecting);
    else
        fail_at(p, RMQ_FILTER_ERROR_SYNTAX, t->line, t->col,
                "Encountered \"%s%s%.*s\" at line %d, column %d. Was expecting %s",
                kind != NULL ? kind : "", kind != NULL ? " " : "", (int) t->len, p->text + t->start,
                t->line, t->col, expecting);
}

/* ---- tree building and Java's creation checks ---------------------------- */

static Node *
node_new(Parser *p, NodeKind kind, gsize start, gsize end)
{
    Node *n = g_new0(Node, 1);
    n->kind = kind;
    n->start = start;
    n->end = end;
    g_ptr_array_add(p->f->nodes, n);
    return n;
}

static void fail_node(Parser *p, const Node *at_node, gchar *msg);

static Node *
binary(Parser *p, NodeKind kind, Node *l, Node *r)
{
    guint depth = MAX(l->depth, r->depth) + 1;
    if (depth > MAX_DEPTH) {
        fail_node(p, r, g_strdup_printf("expression nested deeper than %d", MAX_DEPTH));
        return NULL;
    }
    Node *n = node_new(p, kind, l->start, r->end);
    n->l = l;
    n->r = r;
    n->depth = depth;
    return n;
}

static Node *
unary(Parser *p, NodeKind kind, Node *child, gsize start)
{
    if (child->depth + 1 > MAX_DEPTH) {
        fail_node(p, child, g_strdup_printf("expression nested deeper than %d", MAX_DEPTH));
        return NULL;
    }
    Node *n = node_new(p, kind, start, child->end);
    n->l = child;
    n->depth = child->depth + 1;
    return n;
}

/* Java's "instanceof BooleanExpression". */
static gboolean
is_boolean(const Node *n)
{
    switch (n->kind) {
    case N_CONST:
        return n->v.t == V_BOOL || n->v.t == V_NULL; /* TRUE, FALSE, NULL literals */
    case N_PROP:
    case N_NEG:
        return FALSE;
    default:
        return TRUE;
    }
}

static gint
line_of(const Parser *p, gsize off, gint *col)
{
    /* recount from the start: errors only */
    Parser q = { .text = p->text, .n = p->n, .line = 1, .col = 0 };
    while (q.pos <= off && q.pos < q.n)
        advance(&q);
    *col = q.col;
    return q.line;
}

/* Source text of a node, for messages. (transfer full) */
static gchar *
span(const Parser *p, const Node *n)
{
    return g_strndup(p->text + n->start, n->end - n->start);
}

/* A creation check failed at @at_node: @msg (taken) gets the position. */
static void
fail_node(Parser *p, const Node *at_node, gchar *msg)
{
    gint col;
    gint line = line_of(p, at_node->start, &col);
    fail_at(p, RMQ_FILTER_ERROR_ILLEGAL, line, col, "%s at line %d, column %d.", msg, line, col);
    g_free(msg);
}

static Node *
as_boolean(Parser *p, Node *n)
{
    if (n == NULL || is_boolean(n))
        return n;
    if (n->kind == N_PROP)
        return unary(p, N_CAST, n, n->start);
    {
        g_autofree gchar *t = span(p, n);
        fail_node(p, n, g_strdup_printf("Expression will not result in a boolean value: %s", t));
    }
    return NULL;
}

/* Only numbers, properties and negations may be ordered. */
static gboolean
check_less_than_operand(Parser *p, const Node *n)
{
    if (n->kind == N_CONST) {
        if (n->v.t == V_INT || n->v.t == V_LONG || n->v.t == V_DOUBLE)
            return TRUE;
        {
            g_autofree gchar *t = span(p, n);
            fail_node(p, n, g_strdup_printf("Value '%s' cannot be compared.", t));
        }
        return FALSE;
    }
    if (is_boolean(n)) {
        {
            g_autofree gchar *t = span(p, n);
            fail_node(p, n, g_strdup_printf("Value '%s' cannot be compared.", t));
        }
        return FALSE;
    }
    return TRUE;
}

static Node *
ordering(Parser *p, NodeKind kind, Node *l, Node *r)
{
    if (!check_less_than_operand(p, l) || !check_less_than_operand(p, r))
        return NULL;
    return binary(p, kind, l, r);
}

static Node *
equal(Parser *p, Node *l, Node *r)
{
    const Node *both[] = { l, r };
    for (guint i = 0; i < 2; i++)
        if (both[i]->kind == N_CONST && both[i]->v.t == V_NULL) {
            fail_node(p, both[i], g_strdup("'NULL' cannot be compared."));
            return NULL;
        }
    if (l->kind == N_CONST && r->kind == N_CONST && is_boolean(l) && !is_boolean(r)) {
        {
        g_autofree gchar *a = span(p, l), *b = span(p, r);
        fail_node(p, l, g_strdup_printf("'%s' cannot be compared with '%s'", a, b));
    }
        return NULL;
    }
    return binary(p, N_EQ, l, r);
}

static gboolean java_compare(Val a, Val b, gint *res);

static Node *
between(Parser *p, Node *value, Node *low, Node *high, gboolean not)
{
    if (not) {
        Node *lt = ordering(p, N_LT, value, low);
        Node *gt = lt != NULL ? ordering(p, N_GT, value, high) : NULL;
        return gt != NULL ? binary(p, N_OR, lt, gt) : NULL;
    }
    if (low->kind == N_CONST && high->kind == N_CONST) {
        if (low->v.t == V_NULL || high->v.t == V_NULL) {
            fail_node(p, low, g_strdup("Illegal values of between, values can not be null!"));
            return NULL;
        }
        gint c = 0;
        if (!java_compare(high->v, low->v, &c) || c < 0) {
            g_autofree gchar *a = span(p, low), *b = span(p, high);
            fail_node(p, low,
                      g_strdup_printf("Illegal values of between, left value(%s) must less than "
                                      "or equal to right value(%s)",
                                      a, b));
            return NULL;
        }
    }
    Node *ge = ordering(p, N_GE, value, low);
    Node *le = ge != NULL ? ordering(p, N_LE, value, high) : NULL;
    return le != NULL ? binary(p, N_AND, ge, le) : NULL;
}

static const gchar *
keep_string(Parser *p, gchar *s)
{
    g_ptr_array_add(p->f->strs, s);
    return s;
}

/* 'it''s' -> it's */
static Val
string_value(Parser *p, const Token *t)
{
    GString *s = g_string_sized_new(t->len);
    for (gsize i = t->start + 1; i < t->start + t->len - 1; i++) {
        g_string_append_c(s, p->text[i]);
        if (p->text[i] == '\'')
            i++;
    }
    Val v = { .t = V_STRING, .slen = s->len };
    v.s = keep_string(p, g_string_free(s, FALSE));
    return v;
}

/* ---- grammar -------------------------------------------------------------- */

static Node *parse_or(Parser *p);
static Node *parse_unary(Parser *p);

static Node *
parse_literal(Parser *p)
{
    Token t;
    consume(p, &t);
    Node *n = node_new(p, N_CONST, t.start, t.start + t.len);
    switch (t.kind) {
    case T_STRING:
        n->v = string_value(p, &t);
        break;
    case T_DECIMAL: {
        /* Java: new Long(text without L); Integer when it fits */
        gsize len = t.len;
        if (p->text[t.start + len - 1] == 'l' || p->text[t.start + len - 1] == 'L')
            len--;
        g_autofree gchar *digits = g_strndup(p->text + t.start, len);
        guint64 u = 0;
        if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXINT64, &u, NULL)) {
            fail_at(p, RMQ_FILTER_ERROR_ILLEGAL, t.line, t.col,
                    "For input string: \"%s\" (not a long) at line %d, column %d.", digits,
                    t.line, t.col);
            return NULL;
        }
        n->v.t = u <= G_MAXINT32 ? V_INT : V_LONG;
        n->v.l = (gint64) u;
        break;
    }
    case T_FLOAT: {
        g_autofree gchar *text = g_strndup(p->text + t.start, t.len);
        gdouble d = g_ascii_strtod(text, NULL);
        /* Java refuses what overflows and, comparing with Double.MIN_VALUE,
         * also zero itself (0.0, 0E5, underflow) */
        if (isinf(d) || d < 4.9e-324) {
            fail_at(p, RMQ_FILTER_ERROR_ILLEGAL, t.line, t.col, "%s is %s at line %d, column %d.",
                    text, isinf(d) ? "greater than 1.7976931348623157E308" : "less than 4.9E-324",
                    t.line, t.col);
            return NULL;
        }
        n->v.t = V_DOUBLE;
        n->v.d = d;
        break;
    }
    case T_TRUE:
    case T_FALSE:
        n->v.t = V_BOOL;
        n->v.b = t.kind == T_TRUE;
        break;
    default:
        n->v.t = V_NULL;
        break;
    }
    return n;
}

static Node *
parse_primary(Parser *p)
{
    Token *t = peek(p, 0);
    if (t == NULL)
        return NULL;
    switch (t->kind) {
    case T_STRING:
    case T_DECIMAL:
    case T_FLOAT:
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        return parse_literal(p);
    case T_ID: {
        Token id;
        consume(p, &id);
        Node *n = node_new(p, N_PROP, id.start, id.start + id.len);
        n->name = keep_string(p, g_strndup(p->text + id.start, id.len));
        return n;
    }
    case T_LPAREN: {
        Token open;
        consume(p, &open);
        Node *n = parse_or(p);
        if (n == NULL)
            return NULL;
        Token *close = peek(p, 0);
        if (close == NULL)
            return NULL;
        if (close->kind != T_RPAREN) {
            fail_token(p, close, "\")\"");
            return NULL;
        }
        consume(p, NULL);
        return n;
    }
    default:
        fail_token(p, t, "a literal, a property or \"(\"");
        return NULL;
    }
}

static Node *parse_unary_nested(Parser *p);

static Node *
parse_unary(Parser *p)
{
    Token *t = peek(p, 0);
    if (t == NULL)
        return NULL;
    if (p->nesting >= MAX_DEPTH) {
        fail_at(p, RMQ_FILTER_ERROR_ILLEGAL, t->line, t->col,
                "expression nested deeper than %d at line %d, column %d.", MAX_DEPTH, t->line,
                t->col);
        return NULL;
    }
    p->nesting++;
    Node *n = parse_unary_nested(p);
    p->nesting--;
    return n;
}

static Node *
parse_unary_nested(Parser *p)
{
    Token *t = peek(p, 0);
    gsize start = t->start;
    switch (t->kind) {
    case T_PLUS:
        consume(p, NULL);
        return parse_unary(p);
    case T_MINUS: {
        consume(p, NULL);
        Node *c = parse_unary(p);
        return c != NULL ? unary(p, N_NEG, c, start) : NULL;
    }
    case T_NOT: {
        consume(p, NULL);
        Node *c = as_boolean(p, parse_unary(p));
        return c != NULL ? unary(p, N_NOT, c, start) : NULL;
    }
    default:
        return parse_primary(p);
    }
}

static Node *
parse_in_list(Parser *p, Node *left, gboolean not)
{
    Token *t = peek(p, 0);
    if (t == NULL)
        return NULL;
    if (t->kind != T_LPAREN) {
        fail_token(p, t, "\"(\"");
        return NULL;
    }
    consume(p, NULL);
    GArray *list = g_array_new(FALSE, FALSE, sizeof(Val));
    for (;;) {
        Token s;
        t = peek(p, 0);
        if (t == NULL)
            goto fail;
        if (t->kind != T_STRING) {
            fail_token(p, t, "<STRING_LITERAL>");
            goto fail;
        }
        consume(p, &s);
        Val v = string_value(p, &s);
        g_array_append_val(list, v);
        t = peek(p, 0);
        if (t == NULL)
            goto fail;
        if (t->kind == T_COMMA) {
            consume(p, NULL);
            continue;
        }
        if (t->kind != T_RPAREN) {
            fail_token(p, t, "\",\" or \")\"");
            goto fail;
        }
        break;
    }
    Token close;
    consume(p, &close);
    if (left->kind != N_PROP) {
        {
        g_autofree gchar *what = span(p, left);
        fail_node(p, left, g_strdup_printf("Expected a property for In expression, got: %s", what));
    }
        goto fail;
    }
    Node *n = unary(p, N_IN, left, left->start);
    if (n == NULL)
        goto fail;
    n->end = close.start + 1;
    n->list = list;
    n->not = not;
    return n;
fail:
    g_array_unref(list);
    return NULL;
}

static Node *
parse_cmp(Parser *p)
{
    Node *left = parse_unary(p);
    while (left != NULL) {
        Token *t = peek(p, 0);
        if (t == NULL)
            return NULL;
        TokKind k = t->kind;
        if (k == T_GT || k == T_GE || k == T_LT || k == T_LE) {
            consume(p, NULL);
            Node *r = parse_unary(p);
            if (r == NULL)
                return NULL;
            NodeKind nk = k == T_GT ? N_GT : k == T_GE ? N_GE : k == T_LT ? N_LT : N_LE;
            left = ordering(p, nk, left, r);
            continue;
        }
        gboolean not = FALSE;
        if (k == T_NOT) {
            Token *t2 = peek(p, 1);
            if (t2 == NULL)
                return NULL;
            if (t2->kind != T_BETWEEN && t2->kind != T_IN)
                break;
            k = t2->kind;
            consume(p, NULL);
            not = TRUE;
        }
        if (k == T_BETWEEN) {
            consume(p, NULL);
            Node *low = parse_unary(p);
            if (low == NULL)
                return NULL;
            t = peek(p, 0);
            if (t == NULL)
                return NULL;
            if (t->kind != T_AND) {
                fail_token(p, t, "\"AND\"");
                return NULL;
            }
            consume(p, NULL);
            Node *high = parse_unary(p);
            if (high == NULL)
                return NULL;
            left = between(p, left, low, high, not);
        } else if (k == T_IN) {
            consume(p, NULL);
            left = parse_in_list(p, left, not);
        } else {
            break;
        }
    }
    return left;
}

static Node *
parse_eq(Parser *p)
{
    Node *left = parse_cmp(p);
    while (left != NULL) {
        Token *t = peek(p, 0);
        if (t == NULL)
            return NULL;
        if (t->kind == T_EQ || t->kind == T_NE) {
            gboolean ne = t->kind == T_NE;
            consume(p, NULL);
            Node *r = parse_cmp(p);
            if (r == NULL)
                return NULL;
            left = equal(p, left, r);
            if (left != NULL && ne)
                left = unary(p, N_NOT, left, left->start);
        } else if (t->kind == T_IS) {
            consume(p, NULL);
            Token *t2 = peek(p, 0);
            if (t2 == NULL)
                return NULL;
            gboolean not = FALSE;
            if (t2->kind == T_NOT) {
                consume(p, NULL);
                not = TRUE;
                t2 = peek(p, 0);
                if (t2 == NULL)
                    return NULL;
            }
            if (t2->kind != T_NULL) {
                fail_token(p, t2, not ? "\"NULL\"" : "\"NULL\" or \"NOT\"");
                return NULL;
            }
            Token nt;
            consume(p, &nt);
            Node *null = node_new(p, N_CONST, nt.start, nt.start + nt.len);
            null->v.t = V_NULL;
            Node *eq = binary(p, N_EQ, left, null); /* no operand check, as Java */
            left = not && eq != NULL ? unary(p, N_NOT, eq, left->start) : eq;
        } else {
            break;
        }
    }
    return left;
}

/* @operand (@op @operand)*, left to right, each side a boolean: AND over
 * equality expressions, OR over AND. */
static Node *
parse_logical(Parser *p, Node *(*operand)(Parser *), TokKind op, NodeKind kind)
{
    Node *left = operand(p);
    while (left != NULL) {
        Token *t = peek(p, 0);
        if (t == NULL)
            return NULL;
        if (t->kind != op)
            break;
        consume(p, NULL);
        Node *r = operand(p);
        if (r == NULL)
            return NULL;
        Node *bl = as_boolean(p, left);
        Node *br = bl != NULL ? as_boolean(p, r) : NULL;
        left = br != NULL ? binary(p, kind, bl, br) : NULL;
    }
    return left;
}

static Node *
parse_and(Parser *p)
{
    return parse_logical(p, parse_eq, T_AND, N_AND);
}

static Node *
parse_or(Parser *p)
{
    return parse_logical(p, parse_and, T_OR, N_OR);
}

static void
node_free(gpointer data)
{
    Node *n = data;
    if (n->list != NULL)
        g_array_unref(n->list);
    g_free(n);
}

RmqFilter *
rmq_filter_compile(const gchar *text, gint *line, gint *column, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    g_autoptr(RmqFilter) f = g_new0(RmqFilter, 1);
    f->ref = 1;
    f->text = g_strdup(text);
    f->nodes = g_ptr_array_new_with_free_func(node_free);
    f->strs = g_ptr_array_new_with_free_func(g_free);
    Parser p = {
        .text = f->text, .n = strlen(text), .line = 1, .col = 0,
        .error = error, .err_line = line, .err_col = column, .f = f,
    };
    if (line != NULL)
        *line = 0;
    if (column != NULL)
        *column = 0;
    /* Java's JmsSelector: one expression, then nothing checks for the end */
    f->root = as_boolean(&p, parse_or(&p));
    if (f->root == NULL)
        return NULL;
    return g_steal_pointer(&f);
}

RmqFilter *
rmq_filter_ref(RmqFilter *f)
{
    g_return_val_if_fail(f != NULL, NULL);
    g_atomic_int_inc(&f->ref);
    return f;
}

void
rmq_filter_unref(RmqFilter *f)
{
    if (f == NULL || !g_atomic_int_dec_and_test(&f->ref))
        return;
    g_ptr_array_unref(f->nodes);
    g_ptr_array_unref(f->strs);
    g_free(f->text);
    g_free(f);
}

const gchar *
rmq_filter_get_text(const RmqFilter *f)
{
    return f->text;
}

/* ---- Java's conversions ---------------------------------------------------- */

/* Integer.parseInt / Long.parseLong: [+-]?[0-9]+ within range. */
static gboolean
java_parse_integer(const gchar *s, gsize len, gint64 lo, gint64 hi, gint64 *out)
{
    gsize i = 0;
    gboolean neg = FALSE;
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i >= len)
        return FALSE;
    guint64 limit = neg ? (guint64) -(lo + 1) + 1 : (guint64) hi, v = 0;
    for (; i < len; i++) {
        if (!is_digit(s[i]))
            return FALSE;
        guint d = (guint) (s[i] - '0');
        if (v > (limit - d) / 10)
            return FALSE;
        v = v * 10 + d;
    }
    *out = neg ? (gint64) (0 - v) : (gint64) v;
    return TRUE;
}

static gboolean
is_hex(gchar c)
{
    return g_ascii_isxdigit(c);
}

/* Double.parseDouble: trimmed, [+-]?, NaN | Infinity | decimal with optional
 * exponent | hex with binary exponent, then an optional [fFdD]. */
static gboolean
java_parse_double(const gchar *s, gsize len, gdouble *out)
{
    while (len > 0 && (guchar) s[0] <= ' ') {
        s++;
        len--;
    }
    while (len > 0 && (guchar) s[len - 1] <= ' ')
        len--;
    gsize i = 0;
    gboolean neg = FALSE;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (len - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
        *out = NAN;
        return TRUE;
    }
    if (len - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return TRUE;
    }
    gsize body_end = len;
    if (len > i && strchr("fFdD", s[len - 1]) != NULL)
        body_end = len - 1;
    gsize j = i, digits = 0;
    if (body_end - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        j = i + 2;
        while (j < body_end && is_hex(s[j])) {
            j++;
            digits++;
        }
        if (j < body_end && s[j] == '.') {
            j++;
            while (j < body_end && is_hex(s[j])) {
                j++;
                digits++;
            }
        }
        if (digits == 0 || j >= body_end || (s[j] != 'p' && s[j] != 'P'))
            return FALSE;
    } else {
        while (j < body_end && is_digit(s[j])) {
            j++;
            digits++;
        }
        if (j < body_end && s[j] == '.') {
            j++;
            while (j < body_end && is_digit(s[j])) {
                j++;
                digits++;
            }
        }
        if (digits == 0)
            return FALSE;
        if (j < body_end && s[j] != 'e' && s[j] != 'E')
            return FALSE;
    }
    if (j < body_end) { /* exponent */
        j++;
        if (j < body_end && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j >= body_end || !is_digit(s[j]))
            return FALSE;
        while (j < body_end && is_digit(s[j]))
            j++;
        if (j != body_end)
            return FALSE;
    }
    gchar buf[64];
    g_autofree gchar *heap = NULL;
    gchar *copy = buf;
    if (body_end >= sizeof buf)
        copy = heap = g_malloc(body_end + 1);
    memcpy(copy, s, body_end);
    copy[body_end] = '\0';
    *out = g_ascii_strtod(copy, NULL);
    return TRUE;
}

/* Double.compare: -0.0 below 0.0, NaN above everything and equal to itself. */
static gint
java_double_compare(gdouble a, gdouble b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    gint64 ba, bb;
    memcpy(&ba, &a, sizeof ba);
    memcpy(&bb, &b, sizeof bb);
    if (isnan(a))
        ba = G_GINT64_CONSTANT(0x7ff8000000000000);
    if (isnan(b))
        bb = G_GINT64_CONSTANT(0x7ff8000000000000);
    return ba == bb ? 0 : ba < bb ? -1 : 1;
}

static gboolean
to_type(Val *v, ValType t)
{
    switch (t) {
    case V_INT:
        return java_parse_integer(v->s, v->slen, G_MININT32, G_MAXINT32, &v->l) &&
               ((v->t = V_INT), TRUE);
    case V_LONG:
        return java_parse_integer(v->s, v->slen, G_MININT64, G_MAXINT64, &v->l) &&
               ((v->t = V_LONG), TRUE);
    case V_DOUBLE:
        return java_parse_double(v->s, v->slen, &v->d) && ((v->t = V_DOUBLE), TRUE);
    case V_BOOL: /* Boolean.valueOf: "true" in any case, else false */
        v->b = v->slen == 4 && g_ascii_strncasecmp(v->s, "true", 4) == 0;
        v->t = V_BOOL;
        return TRUE;
    default:
        return FALSE;
    }
}

/* ComparisonExpression.__compare with string conversion on: values of
 * different types are brought to one (numbers widen, a string is parsed as
 * the other side's type); incompatible types answer -1; a string that does
 * not parse is Java's NumberFormatException (FALSE). */
static gboolean
java_compare(Val a, Val b, gint *res)
{
    if (a.t != b.t) {
        switch (a.t) {
        case V_BOOL:
            if (b.t == V_STRING)
                return FALSE; /* Java casts the Boolean to String: ClassCastException */
            *res = -1;
            return TRUE;
        case V_INT:
        case V_LONG:
            if (b.t == V_STRING) {
                if (!to_type(&b, a.t))
                    return FALSE;
            } else if (b.t == V_DOUBLE) {
                a.d = (gdouble) a.l;
                a.t = V_DOUBLE;
            } else if (b.t == V_INT || b.t == V_LONG) {
                a.t = b.t = V_LONG;
            } else {
                *res = -1;
                return TRUE;
            }
            break;
        case V_DOUBLE:
            if (b.t == V_STRING) {
                if (!to_type(&b, V_DOUBLE))
                    return FALSE;
            } else if (b.t == V_INT || b.t == V_LONG) {
                b.d = (gdouble) b.l;
                b.t = V_DOUBLE;
            } else {
                *res = -1;
                return TRUE;
            }
            break;
        case V_STRING:
            if (b.t == V_NULL || !to_type(&a, b.t))
                return b.t == V_NULL ? ((*res = -1), TRUE) : FALSE;
            break;
        default:
            *res = -1;
            return TRUE;
        }
    }
    switch (a.t) {
    case V_BOOL:
        *res = a.b == b.b ? 0 : a.b ? 1 : -1;
        break;
    case V_INT:
    case V_LONG:
        *res = a.l < b.l ? -1 : a.l > b.l;
        break;
    case V_DOUBLE:
        *res = java_double_compare(a.d, b.d);
        break;
    case V_STRING: {
        gint c = memcmp(a.s, b.s, MIN(a.slen, b.slen));
        *res = c != 0 ? (c < 0 ? -1 : 1) : a.slen < b.slen ? -1 : a.slen > b.slen;
        break;
    }
    default:
        *res = 0;
        break;
    }
    return TRUE;
}

/* ---- evaluation ------------------------------------------------------------ */

static const Val null_val = { .t = V_NULL };

static Val
boolean_val(gboolean b)
{
    Val v = { .t = V_BOOL, .b = b };
    return v;
}

static gboolean
eval(const Node *n, RmqFilterLookup lookup, gpointer data, Val *out)
{
    Val lv, rv;
    switch (n->kind) {
    case N_CONST:
        *out = n->v;
        return TRUE;
    case N_PROP: {
        gsize len = 0;
        const gchar *s = lookup(n->name, &len, data);
        if (s == NULL) {
            *out = null_val;
        } else {
            *out = (Val) { .t = V_STRING, .s = s, .slen = len };
        }
        return TRUE;
    }
    case N_NEG:
        if (!eval(n->l, lookup, data, &lv))
            return FALSE;
        *out = lv;
        if (lv.t == V_INT)
            out->l = (gint64) (gint32) (0u - (guint32) lv.l);
        else if (lv.t == V_LONG)
            out->l = (gint64) (0 - (guint64) lv.l);
        else if (lv.t == V_DOUBLE)
            out->d = -lv.d;
        else
            *out = null_val;
        return TRUE;
    case N_NOT:
        if (!eval(n->l, lookup, data, &lv))
            return FALSE;
        *out = lv.t == V_BOOL ? boolean_val(!lv.b) : null_val;
        return TRUE;
    case N_CAST:
        if (!eval(n->l, lookup, data, &lv))
            return FALSE;
        *out = lv.t == V_NULL ? null_val : boolean_val(lv.t == V_BOOL && lv.b);
        return TRUE;
    case N_AND:
    case N_OR: {
        /* Java's LogicExpression: the left side decides alone when it can */
        gboolean decisive = n->kind == N_OR;
        if (!eval(n->l, lookup, data, &lv))
            return FALSE;
        if (lv.t == V_BOOL && lv.b == decisive) {
            *out = boolean_val(decisive);
            return TRUE;
        }
        if (!eval(n->r, lookup, data, &rv))
            return FALSE;
        if (rv.t == V_BOOL && rv.b == decisive)
            *out = boolean_val(decisive);
        else if (lv.t != V_BOOL || rv.t != V_BOOL)
            *out = null_val;
        else
            *out = boolean_val(!decisive);
        return TRUE;
    }
    case N_EQ: {
        if (!eval(n->l, lookup, data, &lv) || !eval(n->r, lookup, data, &rv))
            return FALSE;
        if ((lv.t == V_NULL) != (rv.t == V_NULL)) {
            *out = lv.t == V_NULL ? null_val : boolean_val(FALSE);
            return TRUE;
        }
        if (lv.t == V_NULL) {
            *out = boolean_val(TRUE);
            return TRUE;
        }
        gint c;
        if (!java_compare(lv, rv, &c))
            return FALSE;
        *out = boolean_val(c == 0);
        return TRUE;
    }
    case N_GT:
    case N_GE:
    case N_LT:
    case N_LE: {
        if (!eval(n->l, lookup, data, &lv))
            return FALSE;
        if (lv.t == V_NULL) {
            *out = null_val;
            return TRUE;
        }
        if (!eval(n->r, lookup, data, &rv))
            return FALSE;
        if (rv.t == V_NULL) {
            *out = null_val;
            return TRUE;
        }
        gint c;
        if (lv.t == V_STRING && rv.t == V_STRING) {
            /* two strings are ordered as doubles, or not at all */
            if (!to_type(&lv, V_DOUBLE) || !to_type(&rv, V_DOUBLE))
                return FALSE;
            c = java_double_compare(lv.d, rv.d);
        } else if (!java_compare(lv, rv, &c)) {
            return FALSE;
        }
        gboolean r = n->kind == N_GT ? c > 0 : n->kind == N_GE ? c >= 0 : n->kind == N_LT ? c < 0
                                                                                       : c <= 0;
        *out = boolean_val(r);
        return TRUE;
    }
    case N_IN: {
        if (!eval(n->l, lookup, data, &lv))
            return FALSE;
        if (lv.t != V_STRING) {
            *out = null_val;
            return TRUE;
        }
        gboolean found = FALSE;
        for (guint i = 0; i < n->list->len && !found; i++) {
            const Val *e = &g_array_index(n->list, Val, i);
            found = e->slen == lv.slen && memcmp(e->s, lv.s, lv.slen) == 0;
        }
        *out = boolean_val(found != n->not);
        return TRUE;
    }
    }
    return FALSE;
}

RmqFilterResult
rmq_filter_evaluate(const RmqFilter *f, RmqFilterLookup lookup, gpointer data)
{
    g_return_val_if_fail(f != NULL && lookup != NULL, RMQ_FILTER_FAILED);
    Val v;
    if (!eval(f->root, lookup, data, &v))
        return RMQ_FILTER_FAILED;
    if (v.t != V_BOOL)
        return RMQ_FILTER_UNKNOWN;
    return v.b ? RMQ_FILTER_TRUE : RMQ_FILTER_FALSE;
}

gboolean
rmq_filter_matches(const RmqFilter *f, RmqFilterLookup lookup, gpointer data)
{
    return rmq_filter_evaluate(f, lookup, data) == RMQ_FILTER_TRUE;
}
