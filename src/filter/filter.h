/* SQL92 property filters (MessageSelector.bySql, docs/protocol.md §10.8): the
 * expression language of Apache RocketMQ 4.9's filter module, compiled once
 * to a tree and evaluated against a message's properties. Pure: no sockets,
 * no loop, no allocation while evaluating.
 *
 * Grammar (keywords case-insensitive):
 *   or      := and (OR and)*
 *   and     := eq (AND eq)*
 *   eq      := cmp ( '=' cmp | '<>' cmp | IS NULL | IS NOT NULL )*
 *   cmp     := unary ( ('>'|'>='|'<'|'<=') unary | [NOT] BETWEEN unary AND unary
 *                    | [NOT] IN '(' string (',' string)* ')' )*
 *   unary   := '+' unary | '-' unary | NOT unary | primary
 *   primary := literal | identifier | '(' or ')'
 * Literals: 'text' ('' is a quote), 123 / 123L (64-bit), 1.5 / .5 / 5. / 1E3
 * (double), TRUE, FALSE, NULL. Identifiers name properties (TAGS included).
 * As in Java, NOT binds tighter than comparisons ("NOT a = 1" is
 * "(NOT a) = 1"), and what follows a complete expression is not read beyond
 * its first token. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_FILTER_ERROR (rmq_filter_error_quark())
GQuark rmq_filter_error_quark(void);

typedef enum {
    RMQ_FILTER_ERROR_LEXICAL, /* a character no token starts with */
    RMQ_FILTER_ERROR_SYNTAX,  /* a token the grammar does not expect */
    RMQ_FILTER_ERROR_ILLEGAL, /* well formed but refused (types, BETWEEN order, ranges) */
} RmqFilterErrorCode;

typedef enum {
    RMQ_FILTER_FALSE,
    RMQ_FILTER_TRUE,
    RMQ_FILTER_UNKNOWN, /* NULL in Java's three-valued logic */
    RMQ_FILTER_FAILED,  /* Java throws while evaluating (e.g. a > 1 with a = "x") */
} RmqFilterResult;

typedef struct _RmqFilter RmqFilter;

/* A property's value, NULL when the message does not have it. *len: its
 * length in bytes (the value need not be NUL-terminated). */
typedef const gchar *(*RmqFilterLookup)(const gchar *name, gsize *len, gpointer data);

/* Compile @text. Errors carry the position as "line L, column C" (1-based,
 * columns in characters) and fill *@line / *@column (may be NULL).
 * (transfer full) NULL on error. */
RmqFilter *rmq_filter_compile(const gchar *text, gint *line, gint *column, GError **error);
RmqFilter *rmq_filter_ref(RmqFilter *f);
void rmq_filter_unref(RmqFilter *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqFilter, rmq_filter_unref)

/* The text it was compiled from. (transfer none) */
const gchar *rmq_filter_get_text(const RmqFilter *f);

RmqFilterResult rmq_filter_evaluate(const RmqFilter *f, RmqFilterLookup lookup, gpointer data);
/* What the broker delivers: TRUE only for RMQ_FILTER_TRUE. */
gboolean rmq_filter_matches(const RmqFilter *f, RmqFilterLookup lookup, gpointer data);

G_END_DECLS
