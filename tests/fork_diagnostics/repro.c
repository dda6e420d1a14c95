/* glibc fork/pthread_create double free, without segmint (issue 19). One thread creates and
   joins threads that touch the dynamic TLS of 8 dlopen'ed libraries; the main thread forks and
   each child creates 3 threads. glibc (2.36 here) frees a reused stack's dynamic TLS blocks after
   releasing the stack-cache lock, so a child forked in that window frees them again in its first
   pthread_create. Seen here: 62 of 20,000 children abort ("double free or corruption (out)",
   "free(): corrupted unsorted chunks"); 0 of 20,000 when the thread only allocates instead.

   for i in 1 2 3 4 5 6 7 8; do
     printf '__thread char buf%d[%d];\nvoid touch%d(void) { buf%d[0]++; }\n' $i $((1000 + 16 * i)) $i $i > tls$i.c
     gcc -O2 -fPIC -shared -o libtls$i.so tls$i.c
   done
   gcc -O2 -o repro repro.c -ldl -lpthread && ./repro 20000 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <signal.h>
#include <stdatomic.h>
#define NLIB 8
static void (*touch[NLIB])(void);
static atomic_int stop;
static void *touch_all(void *arg) { for (int i = 0; i < NLIB; i++) touch[i](); return NULL; }
static void *creator(void *arg) {
  pthread_attr_t a; pthread_attr_init(&a); pthread_attr_setstacksize(&a, 2 << 20);
  while (!stop) { pthread_t t; pthread_create(&t, &a, touch_all, NULL); pthread_join(t, NULL); }
  return NULL;
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  char name[64];
  for (int i = 0; i < NLIB; i++) {
    snprintf(name, sizeof name, "./libtls%d.so", i + 1);
    void *h = dlopen(name, RTLD_NOW); if (!h) { puts(dlerror()); return 2; }
    snprintf(name, sizeof name, "touch%d", i + 1);
    touch[i] = (void (*)(void))dlsym(h, name);
  }
  pthread_t c; pthread_create(&c, NULL, creator, NULL);
  int bad = 0;
  for (int f = 0; f < n; f++) {
    pid_t pid = fork();
    if (pid == 0) {
      pthread_attr_t a; pthread_attr_init(&a); pthread_attr_setstacksize(&a, 2 << 20);
      for (int k = 0; k < 3; k++) { pthread_t t; pthread_create(&t, &a, touch_all, NULL); pthread_join(t, NULL); }
      void *p[64]; for (int k = 0; k < 64; k++) p[k] = malloc(1000 + 16 * (k % 9)); for (int k = 0; k < 64; k++) free(p[k]);
      _exit(0);
    }
    int st; waitpid(pid, &st, 0);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) { bad++; fprintf(stderr, "fork %d: status %d sig %d\n", f, st, WIFSIGNALED(st) ? WTERMSIG(st) : 0); }
  }
  stop = 1; pthread_join(c, NULL);
  printf("forks=%d bad=%d\n", n, bad);
  return 0;
}
