/* What the fork server's native parts (forkloop.c: the per-job loop; childsetup.c: a child's setup) share. */
#ifndef ASSAY_FORKLOOP_H
#define ASSAY_FORKLOOP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The numbers of a request header, in order (protocol.rs, send_job). */
enum { BODY_LEN, WALL_MS, CPU_S, MEMORY, NPROC, FSIZE, NOFILE, OUTPUT, FETCH_BYTES, HEADER_NUMBERS };
/* A job body's program kinds (Job::encode_body). */
enum { PROGRAM_PYTHON = 0, PROGRAM_PRELOAD = 1, PROGRAM_EXEC = 2 };

#define WORK "/box/work"
#define TMP "/box/tmp"
#define IO "/box/io"
/* The job's standard streams as files (stdin only when the job has some; the child unlinks it once open). */
#define STDIN_PATH IO "/stdin"
#define STDOUT_PATH IO "/stdout"
#define STDERR_PATH IO "/stderr"
/* The candidate's uid and gid: the server is uid 0 of the user namespace, so a child can neither signal
 * nor ptrace it. */
#define CHILD_ID 1

/* What a set-up child hands back to server.py (its `Job`): the program's kind and its Python source or
 * preload payload. */
struct job {
    int kind;
    const unsigned char *source;
    size_t source_len;
};

/* 0 once all of `data` is written, else the errno (EINTR is retried). */
int write_fully(int fd, const void *data, size_t len);

/* 0 once `len` bytes are read, -1 at end of stream (even after part of them), else the errno. */
int read_fully(int fd, void *data, size_t len);

/* Little-endian loads from a byte buffer (the wire is little-endian, as is every target built here). */
static inline uint32_t load_u32(const unsigned char *at) {
    uint32_t value;
    memcpy(&value, at, 4);
    return value;
}

static inline uint64_t load_u64(const unsigned char *at) {
    uint64_t value;
    memcpy(&value, at, 8);
    return value;
}

/* In the forked child, still trusted: reads the job's body, reports "B" on `status_w`, sets the child up
 * (own process group, standard streams, uid/gid, working directory and files, rlimits), reports "R" and
 * closes `status_w`. Execs an exec job's program; returns only for Python and preload jobs, with `job` filled.
 * On a failure it reports "E" and the error, and exits with CHILD_SETUP_FAILED. */
void child_setup(int request_fd, int response_fd, int status_w, const uint64_t *numbers, struct job *job);

#endif
