/* JSON text output the way Java fastjson writes it, shared by the header
 * encoder and the JSON body writer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Append @s (UTF-8, @len bytes or -1 for NUL-terminated) as a JSON string
 * literal with fastjson's escaping: \" \\ \b \t \n \f \r, other control
 * characters and DEL as \u00XX (upper-case hex); '/' and non-ASCII raw. */
void rmq_json_text_append_string(GString *out, const gchar *s, gssize len);
/* Shortest decimal text that reads back as @d ("1.5", "16", "1e+20").
 * Non-finite values are written as 0 (JSON has no NaN). */
void rmq_json_text_append_double(GString *out, gdouble d);

G_END_DECLS
