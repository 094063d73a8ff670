/*
 * NAME
 *	fuzz_proto - libFuzzer target for the wire protocol codec
 * DESCRIPTION
 *	Parses the input as a request line (decoded arguments never hold
 *	NUL, always fit the line), and as an answer line (status, a few
 *	keys). Then the input is written as an answer value and read back:
 *	the round trip must give the same bytes, and the encoded line must
 *	hold only printable ASCII and single spaces. Also decodes the input
 *	as base64 and checks re-encoding gives it back (canonical form),
 *	and sends the input as a client argument (proto_put_arg) that the
 *	request parser must read back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *) data;
    proto_req req;
    mt_err e;
    buf out, val;
    char status[32];
    int i;
    size_t k;

    if (proto_req_parse(in, size, &req, &e) == 0) {
	if (req.verb[0] == 0 || req.argc < 0 || req.argc > PROTO_MAX_ARGS)
	    abort();
	for (i = 0; i < req.argc; i++)
	    if (strlen(req.argv[i]) != req.argl[i] || req.argl[i] > PROTO_LINE_MAX)
		abort();
    }
    buf_init(&val);
    (void) proto_answer_status(in, size, status, sizeof(status));
    (void) proto_answer_get(in, size, "mode", &val);
    (void) proto_answer_get(in, size, "", &val);

    buf_init(&out);
    if (proto_put_status(&out, "ok") < 0 || proto_put_kv(&out, "v", in, size) < 0
	|| proto_put_kvf(&out, "n", "%zu", size) < 0)
	abort();
    for (k = 0; k < out.len; k++)
	if (out.data[k] < 0x20 || out.data[k] > 0x7e || out.data[k] == '"'
	    || (out.data[k] == ' ' && k + 1 < out.len && out.data[k + 1] == ' '))
	    abort();
    if (proto_answer_get(out.data, out.len, "v", &val) < 0 || val.len != size
	|| (size && memcmp(val.data, data, size) != 0))
	abort();

    /* a client's argument comes back unchanged, with and without a key */
    buf_reset(&out);
    if (proto_put_status(&out, "v") < 0 || proto_put_arg(&out, NULL, in, size) < 0
	|| proto_put_arg(&out, "k", in, size) < 0)
	abort();
    if (out.len <= PROTO_LINE_MAX && memchr(data, 0, size) == NULL) {
	if (proto_req_parse(out.data, out.len, &req, &e) < 0 || req.argc != 2
	    || req.argl[0] != size || memcmp(req.argv[0], data, size) != 0
	    || req.argl[1] != size + 2 || memcmp(req.argv[1], "k=", 2) != 0
	    || memcmp(req.argv[1] + 2, data, size) != 0)
	    abort();
    }

    buf_reset(&val);
    if (proto_b64_decode(in, size, &val) == 0) {
	unsigned char *enc = malloc(size + 1);
	int n;

	if (enc == NULL)
	    abort();
	n = EVP_EncodeBlock(enc, (const unsigned char *) val.data, (int) val.len);
	if ((size_t) n != size || memcmp(enc, data, size) != 0)
	    abort();
	free(enc);
    }
    buf_free(&out);
    buf_free(&val);
    return 0;
}
