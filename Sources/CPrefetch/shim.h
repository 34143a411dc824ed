// Clang's _mm_prefetch is a macro, which Swift cannot import: these inline functions give the kernels
// the same instructions.
static inline void cmc_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }
static inline void cmc_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }
