/* C part of the toolchain smoke test. Each returns the compressed size,
 * or a negative step number on failure. */
#ifndef KDK_SMOKE_C_H
#define KDK_SMOKE_C_H
#ifdef __cplusplus
extern "C" {
#endif
int kdk_smoke_zlib(void);
int kdk_smoke_lzo(void);
#ifdef __cplusplus
}
#endif
#endif
