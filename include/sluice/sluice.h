/* sluice/sluice.h — everything a program embedding Sluice includes. */
#ifndef SLUICE_SLUICE_H
#define SLUICE_SLUICE_H

#include <sluice/broker.h>
#include <sluice/bytes.h>
#include <sluice/client.h>
#include <sluice/err.h>
#include <sluice/serde.h>
#include <sluice/streams.h>
#include <sluice/test_driver.h>

#endif
