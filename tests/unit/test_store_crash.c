/*
 * test_store_crash - design.md "Storage": a crash at any instant leaves
 * every committed policy readable. A child process stores policies as
 * fast as it can and reports each one after store_put() returns; the
 * parent kills it with SIGKILL at a random moment, reopens the store and
 * checks every reported policy, field by field. Several rounds, on the
 * same store, so later rounds also crash over a grown, evicting map.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "t.h"

#define ROUNDS 6
#define MAX_REPORTED 200000

static char dir[64];

/* fill - the record of policy number i */
static void fill(store_rec *r, long i)
{
    char id[32], mx0[64], mx1[64], text[256];
    char *mx[2] = {mx0, mx1};

    store_rec_init(r);
    r->has_policy = 1;
    r->mode = POLICY_MODE_ENFORCE;
    snprintf(id, sizeof(id), "id%ld", i);
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->max_age = 86400;
    r->fetched = 1700000000 + i;
    r->expires = (int64_t) time(NULL) + 86400;
    r->refresh_due = r->fetched + 43200;
    r->last_used = r->fetched;
    snprintf(mx0, sizeof(mx0), "mx%ld.example.net", i);
    snprintf(mx1, sizeof(mx1), "*.d%ld.example.net", i);
    store_rec_set_mx(r, mx, 2);
    snprintf(text, sizeof(text), "version: STSv1\nmode: enforce\nmx: %s\nmx: %s\nmax_age: 86400\n",
	     mx0, mx1);
    store_rec_set_text(r, text, strlen(text));
}

/* writer - the child: store policies from start on, report each commit */
static void writer(long start, int fd)
{
    mt_err err;
    store *s = store_open(dir, 64 << 20, &err);
    char name[64];
    long i;

    if (s == NULL)
	_exit(3);
    for (i = start;; i++) {
	store_rec r;

	fill(&r, i);
	snprintf(name, sizeof(name), "d%ld.example", i);
	if (store_put(s, name, &r, &err) < 0)
	    _exit(4);
	store_rec_free(&r);
	if (write(fd, &i, sizeof(i)) != (ssize_t) sizeof(i))
	    _exit(5);
    }
}

static void committed_policies_survive_kill_9(void)
{
    long next = 0, round, checked = 0;
    int bad = 0;

    strcpy(dir, "/tmp/test_store_crash.XXXXXX");
    T_ASSERT(mkdtemp(dir) != NULL);
    srand((unsigned) time(NULL) ^ (unsigned) getpid());
    for (round = 0; round < ROUNDS && !bad; round++) {
	int p[2];
	pid_t pid;
	long got, last = -1;
	mt_err err;
	store *s;
	struct timespec ts = {0, (long) (50 + rand() % 250) * 1000000L};

	T_EQ_INT(pipe(p), 0);
	if ((pid = fork()) == 0) {
	    close(p[0]);
	    writer(next, p[1]);
	}
	close(p[1]);
	/* wait for the first commit, then kill at a random instant after it */
	if (read(p[0], &got, sizeof(got)) == (ssize_t) sizeof(got))
	    last = got;
	nanosleep(&ts, NULL);
	{
	    int status = 0;

	    kill(pid, SIGKILL);
	    waitpid(pid, &status, 0);
	    if (!WIFSIGNALED(status))
		printf("# the writer ended by itself: status %d\n", WEXITSTATUS(status));
	}
	while (read(p[0], &got, sizeof(got)) == (ssize_t) sizeof(got))
	    last = got;
	close(p[0]);
	T_ASSERT(last >= next);		/* it committed something */
	s = store_open(dir, 64 << 20, &err);
	T_ASSERT(s != NULL);
	for (got = next; got <= last; got++) {
	    store_rec want, r;
	    char name[64];

	    snprintf(name, sizeof(name), "d%ld.example", got);
	    fill(&want, got);
	    if (store_get(s, name, &r, &err) != 1 || strcmp(r.id, want.id) != 0
		|| r.n_mx != 2 || strcmp(r.mx[1], want.mx[1]) != 0
		|| r.text_len != want.text_len || strcmp(r.text, want.text) != 0
		|| r.fetched != want.fetched) {
		printf("# round %ld: %s is missing or wrong after kill -9\n", round, name);
		bad = 1;
	    }
	    store_rec_free(&want);
	    if (!bad)
		store_rec_free(&r);
	    checked++;
	    if (bad)
		break;
	}
	store_close(s);
	next = last + 1;
    }
    printf("# %ld committed policies checked over %d kill -9 rounds\n", checked, ROUNDS);
    T_ASSERT(!bad);
    {

	T_EQ_INT(t_rmtree(dir), 0);
    }
}

int main(void)
{
    T_RUN(committed_policies_survive_kill_9);
    return t_done();
}
