/*
 * testkeys.h - known keys and signatures from the RFCs, shared by the unit
 * tests of signer, jws and acme.  Every vector names the section it was
 * copied from.
 */
#ifndef ACMEC_TESTKEYS_H
#define ACMEC_TESTKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/*
 * RFC 7515 Appendix A.2.1: the JWS Signing Input of the RS256 example,
 * ASCII(BASE64URL(UTF8(JWS Protected Header)) || '.' || BASE64URL(JWS Payload))
 * with the protected header {"alg":"RS256"}.
 */
#define RFC7515_A2_SIGNING_INPUT \
	"eyJhbGciOiJSUzI1NiJ9" \
	"." \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt" \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

/* RFC 7515 Appendix A.2.1: the resulting JWS Signature, base64url. */
#define RFC7515_A2_SIGNATURE \
	"cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7" \
	"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4" \
	"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K" \
	"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv" \
	"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB" \
	"p0igcN_IoypGlUPQGe77Rw"

/* RFC 7515 Appendix A.2.1: the RSA key's public members. */
#define RFC7515_A2_N \
	"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp" \
	"-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOW" \
	"vG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUs" \
	"LA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9k" \
	"G4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2" \
	"PAcDTW9gb54h4FRWyuXpoQ"
#define RFC7515_A2_E "AQAB"

/*
 * RFC 7515 Appendix A.3.1: the ES256 example.  The protected header is
 * {"alg":"ES256"}; the payload is the same as in A.2.
 */
#define RFC7515_A3_SIGNING_INPUT \
	"eyJhbGciOiJFUzI1NiJ9" \
	"." \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt" \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
/* RFC 7515 Appendix A.3.1: the JWS Signature R || S, base64url. */
#define RFC7515_A3_SIGNATURE \
	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA" \
	"pmWQxfKTUJqPP3-Kg6NU1Q"
/* RFC 7515 Appendix A.3.1: the EC key's public members. */
#define RFC7515_A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"

/* RFC 7638 section 3.1: the example key's modulus and exponent ... */
#define RFC7638_N \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86z" \
	"wu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5Js" \
	"GY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic" \
	"AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-" \
	"bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF" \
	"Cur-kEgU8awapJzKnqDKgw"
#define RFC7638_E "AQAB"
/* ... and its thumbprint (RFC 7638 section 3.1, last paragraph). */
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

/* The RFC 7515 A.2 RSA private key (2048 bits).  New key; aborts on failure. */
EVP_PKEY *testkeys_rfc7515_a2_rsa(void);
/* The RFC 7515 A.3 EC P-256 private key.  New key; aborts on failure. */
EVP_PKEY *testkeys_rfc7515_a3_ec(void);
/* The RFC 7638 section 3.1 RSA public key.  New key; aborts on failure. */
EVP_PKEY *testkeys_rfc7638_rsa_public(void);

/*
 * Verify a JWS signature the way a CA would: alg "RS256" (PKCS#1 v1.5,
 * SHA-256), "ES256" / "ES384" (r || s of 32 / 48 bytes each, converted to
 * DER here, independently of src/).  True if the signature is good.
 */
bool testkeys_verify(EVP_PKEY *key, const char *alg, const void *data,
    size_t len, const unsigned char *sig, size_t siglen);

/* Same, with the signature given as base64url text. */
bool testkeys_verify_b64url(EVP_PKEY *key, const char *alg, const char *data,
    const char *sig_b64url);

/* SHA-256 of s, base64url: the thumbprint of a canonical JWK text. */
char *testkeys_sha256_b64url(const char *s);

#endif
