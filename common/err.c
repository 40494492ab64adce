/* err.c — names and messages for the sl_err_t table in <sluice/err.h>. */
#include <sluice/err.h>

#define SL__ERR_CASE_STR(name, value, kafka, msg) \
    case name:                                    \
        return msg;
#define SL__ERR_CASE_NAME(name, value, kafka, msg) \
    case name:                                     \
        return #name;
#define SL__ERR_CASE_KAFKA(name, value, kafka, msg) \
    case name:                                      \
        return kafka;

const char *sl_err_str(sl_err_t err)
{
    switch (err) {
        SL_ERR_TABLE(SL__ERR_CASE_STR)
    }
    return "unknown error";
}

const char *sl_err_name(sl_err_t err)
{
    switch (err) {
        SL_ERR_TABLE(SL__ERR_CASE_NAME)
    }
    return "SL_ERR_UNKNOWN";
}

int sl_err_kafka_code(sl_err_t err)
{
    switch (err) {
        SL_ERR_TABLE(SL__ERR_CASE_KAFKA)
    }
    return -1;
}

#define SL__ERR_FROM_KAFKA(name, value, kafka, msg) \
    if (kafka == code && value != 0)                \
        return name;

sl_err_t sl_err_from_kafka_code(int code)
{
    if (code == 0)
        return SL_OK;
    if (code != -1) {
        SL_ERR_TABLE(SL__ERR_FROM_KAFKA)
    }
    return SL_ERR_IO;
}
