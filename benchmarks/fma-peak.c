// A cross-check of KernelProvider.fmaPeak outside the JVM: 12 independent 256-bit FMA chains per
// thread, each FMA adding into its chain, all threads at once; prints GFLOP/s for 3 rounds.
// Build and run (x86 with AVX2 and FMA):
//   gcc -O2 -mavx2 -mfma -pthread benchmarks/fma-peak.c -o /tmp/fma-peak && /tmp/fma-peak 2
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
static const long ITERATIONS = 200000000;
static float sink[64];

static void *chains(void *slot) {
  __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  __m256 c0 = _mm256_set1_ps(0), c1 = _mm256_set1_ps(1), c2 = _mm256_set1_ps(2);
  __m256 c3 = _mm256_set1_ps(3), c4 = _mm256_set1_ps(4), c5 = _mm256_set1_ps(5);
  __m256 c6 = _mm256_set1_ps(6), c7 = _mm256_set1_ps(7), c8 = _mm256_set1_ps(8);
  __m256 c9 = _mm256_set1_ps(9), c10 = _mm256_set1_ps(10), c11 = _mm256_set1_ps(11);
  for (long i = 0; i < ITERATIONS; i++) {
    c0 = _mm256_fmadd_ps(a, m, c0), c1 = _mm256_fmadd_ps(a, m, c1), c2 = _mm256_fmadd_ps(a, m, c2);
    c3 = _mm256_fmadd_ps(a, m, c3), c4 = _mm256_fmadd_ps(a, m, c4), c5 = _mm256_fmadd_ps(a, m, c5);
    c6 = _mm256_fmadd_ps(a, m, c6), c7 = _mm256_fmadd_ps(a, m, c7), c8 = _mm256_fmadd_ps(a, m, c8);
    c9 = _mm256_fmadd_ps(a, m, c9), c10 = _mm256_fmadd_ps(a, m, c10), c11 = _mm256_fmadd_ps(a, m, c11);
    // Keeps every chain in a register and stops the compiler from folding the loop.
    __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5), "+x"(c6),
                     "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  *(float *)slot = out[0];
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 64) {
    fprintf(stderr, "threads must be 1 to 64, got %s\n", argv[1]);
    return 2;
  }
  pthread_t workers[64];
  for (int round = 0; round < 3; round++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < threads; t++) pthread_create(&workers[t], NULL, chains, &sink[t]);
    for (int t = 0; t < threads; t++) pthread_join(workers[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%d threads: %.1f GFLOP/s\n", threads, threads * ITERATIONS * CHAINS * 8 * 2.0 / seconds / 1e9);
  }
  return 0;
}
