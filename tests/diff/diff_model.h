/* The guest CPU model the engines under test run the sequences with. */
#ifndef DIFF_DIFF_MODEL_H
#define DIFF_DIFF_MODEL_H

#include "x86/cpu_model.h"

/* v3 and the computing extensions beyond it that the generator draws
 * (gen_crypto.c: ADX, AES, PCLMULQDQ, SHA), all of which the host CPU (the
 * native reference) runs. No named model has those yet; once one does, this
 * can become cpu_model_find() of it. */
const struct cpu_model *diff_model(void);

#endif
