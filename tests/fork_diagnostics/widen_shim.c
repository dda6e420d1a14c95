/* LD_PRELOAD shim: widens glibc's window in pthread_create between freeing the reused stack's
   dynamic TLS blocks (after the stack-cache lock is released) and clearing the DTV, by sleeping
   after each non-NULL free() made inside pthread_create. Diagnostic only (issue 19):

   gcc -O2 -fPIC -shared -o libwiden.so widen_shim.c -ldl
   LD_PRELOAD=$PWD/libwiden.so python tests/fork_loop.py 300 30

   Before segmint stopped creating a thread per call, 13 of 300 children aborted (double free in
   get_cached_stack <- pthread_create, from the child's first pool); after, 0 of 1,000. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>
static __thread int in_create;
static void (*real_free)(void *);
static int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
void free(void *p) {
  if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
  real_free(p);
  if (p && in_create) { struct timespec ts = {0, 300000}; nanosleep(&ts, 0); }
}
int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg) {
  if (!real_create) real_create = dlsym(RTLD_NEXT, "pthread_create");
  in_create = 1;
  int r = real_create(t, a, f, arg);
  in_create = 0;
  return r;
}
