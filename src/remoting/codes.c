#include <config.h>

#include "remoting/codes.h"

#define RMQ_CODES_CASE_(name, n) case n: return #name;

const char *
rmq_request_code_name(int code)
{
    switch (code) {
    RMQ_REQUEST_CODES(RMQ_CODES_CASE_)
    default: return NULL;
    }
}

const char *
rmq_response_code_name(int code)
{
    switch (code) {
    RMQ_RESPONSE_CODES(RMQ_CODES_CASE_)
    default: return NULL;
    }
}
