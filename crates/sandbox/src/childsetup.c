/* A forked child's setup (see forkloop.h), done natively: in Python it wrote to ~60 of the pages the child
 * shares with its server (each a copy-on-write fault) before the candidate's first line ran. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkloop.h"

enum { CHILD_SETUP_FAILED = 111, ERROR_TEXT_CAP = 2000 };

/* Reports "E" + what failed on the status pipe, and exits. */
static _Noreturn void setup_failed(int status_w, const char *what, const char *detail, int error) {
    char text[ERROR_TEXT_CAP + 1];
    int n = snprintf(text, sizeof text, "E%s%s%s: %s", what, detail[0] ? " " : "", detail, strerror(error));
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    ssize_t ignored = write(status_w, text, len);
    (void)ignored;
    _exit(CHILD_SETUP_FAILED);
}

/* A cursor over the body; any read past its end fails the setup (the body is Rust's, so only a bug could). */
struct cursor {
    const unsigned char *data;
    size_t len, at;
    int status_w;
};

static const unsigned char *take(struct cursor *body, uint64_t len) {
    if (len > body->len - body->at) {
        setup_failed(body->status_w, "parsing the job body", "", EPROTO);
    }
    const unsigned char *at = body->data + body->at;
    body->at += (size_t)len;
    return at;
}

static uint32_t take_u32(struct cursor *body) {
    return load_u32(take(body, 4));
}

static uint64_t take_u64(struct cursor *body) {
    return load_u64(take(body, 8));
}

/* A NUL-terminated copy of a u32-length-prefixed string of the body. */
static char *take_text(struct cursor *body) {
    uint32_t len = take_u32(body);
    const unsigned char *text = take(body, len);
    if (memchr(text, '\0', len) != NULL) {
        setup_failed(body->status_w, "parsing the job body", "(a NUL inside a text)", EPROTO);
    }
    char *copy = malloc((size_t)len + 1);
    if (copy == NULL) {
        setup_failed(body->status_w, "parsing the job body", "", ENOMEM);
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

static unsigned char *read_body(int request_fd, size_t len, int status_w) {
    unsigned char *body = malloc(len ? len : 1);
    if (body == NULL) {
        setup_failed(status_w, "reading the job body", "", ENOMEM);
    }
    int error = read_fully(request_fd, body, len);
    if (error != 0) {
        setup_failed(status_w, "reading the job body", error < 0 ? "(truncated)" : "", error < 0 ? EPIPE : error);
    }
    return body;
}

/* The job's stdin as fd 0: a file only the server and this child can reach, unlinked once open. */
static void make_stdin(const unsigned char *content, size_t len, int status_w) {
    int fd = open(STDIN_PATH, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int error = fd < 0 ? errno : write_fully(fd, content, len);
    if (fd >= 0) {
        close(fd);
    }
    if (error == 0) {
        fd = open(STDIN_PATH, O_RDONLY | O_CLOEXEC);
        error = fd < 0 ? errno : 0;
    }
    if (error == 0 && (unlink(STDIN_PATH) != 0 || dup2(fd, 0) < 0)) {
        error = errno;
    }
    if (error != 0) {
        setup_failed(status_w, "writing stdin", "", error);
    }
    close(fd);
}

static void make_output(const char *path, int target, int status_w) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || dup2(fd, target) < 0) {
        setup_failed(status_w, "opening", path, errno);
    }
    close(fd);
}

/* Writes a job file under the working directory (the cwd by now), making its parent directories; the last
 * component is never followed if it is a symlink. Rust has checked the path (relative, no "." or "..",
 * no file that is also a directory). */
static void write_job_file(char *rel, const unsigned char *content, size_t len, int status_w) {
    for (char *slash = strchr(rel, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int made = mkdir(rel, 0777);
        *slash = '/';
        if (made != 0 && errno != EEXIST) {
            setup_failed(status_w, "making the directory of", rel, errno);
        }
    }
    int fd = open(rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    int error = fd < 0 ? errno : write_fully(fd, content, len);
    if (fd >= 0) {
        close(fd);
    }
    if (error != 0) {
        setup_failed(status_w, "writing", rel, error);
    }
}

static void set_limit(int resource, uint64_t soft, uint64_t hard, const char *name, int status_w) {
    struct rlimit limit = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
    if (setrlimit(resource, &limit) != 0) {
        setup_failed(status_w, "setting", name, errno);
    }
}

static void run_exec(char **argv, int status_w) {
    /* The server ignores SIGPIPE and SIGXFSZ (Python does); an exec'd program gets the default dispositions. */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    if (write(status_w, "R", 1) != 1) {
        _exit(CHILD_SETUP_FAILED);
    }
    close(status_w);
    execve(argv[0], argv, environ);
    dprintf(2, "exec failed: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

void child_setup(int request_fd, int response_fd, int status_w, const uint64_t *numbers, struct job *job) {
    if (setpgid(0, 0) != 0) {
        setup_failed(status_w, "setpgid", "", errno);
    }
    size_t body_len = (size_t)numbers[BODY_LEN];
    unsigned char *data = read_body(request_fd, body_len, status_w);
    if (write(status_w, "B", 1) != 1) {
        _exit(CHILD_SETUP_FAILED);
    }
    close(request_fd);
    close(response_fd);

    struct cursor body = {.data = data, .len = body_len, .at = 0, .status_w = status_w};
    int kind = *take(&body, 1);
    uint32_t argc = take_u32(&body);
    char **argv = calloc((size_t)argc + 1, sizeof(char *));
    if (argv == NULL) {
        setup_failed(status_w, "parsing the job body", "", ENOMEM);
    }
    for (uint32_t i = 0; i < argc; i++) {
        argv[i] = take_text(&body);
    }
    if (kind == PROGRAM_EXEC && argc == 0) {
        setup_failed(status_w, "parsing the job body", "(an exec job without a program)", EPROTO);
    }
    uint32_t file_count = take_u32(&body);
    char **paths = calloc((size_t)file_count + 1, sizeof(char *));
    uint64_t *sizes = calloc((size_t)file_count + 1, sizeof(uint64_t));
    if (paths == NULL || sizes == NULL) {
        setup_failed(status_w, "parsing the job body", "", ENOMEM);
    }
    for (uint32_t i = 0; i < file_count; i++) {
        paths[i] = take_text(&body);
        sizes[i] = take_u64(&body);
    }
    uint64_t source_len = take_u64(&body), stdin_len = take_u64(&body);
    size_t source_at = body.at;
    take(&body, source_len);
    const unsigned char *stdin_data = take(&body, stdin_len);

    if (stdin_len > 0) {
        make_stdin(stdin_data, (size_t)stdin_len, status_w);
    } /* else fd 0 stays the server's /dev/null */
    make_output(STDOUT_PATH, 1, status_w);
    make_output(STDERR_PATH, 2, status_w);

    if (getgroups(0, NULL) > 0 && setgroups(0, NULL) != 0) {
        setup_failed(status_w, "setgroups", "", errno);
    }
    if (setresgid(CHILD_ID, CHILD_ID, CHILD_ID) != 0 || setresuid(CHILD_ID, CHILD_ID, CHILD_ID) != 0) {
        setup_failed(status_w, "dropping to the candidate's uid and gid", "", errno);
    }
    if (chdir(WORK) != 0) {
        setup_failed(status_w, "chdir", WORK, errno);
    }
    for (uint32_t i = 0; i < file_count; i++) {
        const unsigned char *content = take(&body, sizes[i]);
        write_job_file(paths[i], content, (size_t)sizes[i], status_w);
        free(paths[i]);
    }
    free(paths);
    free(sizes);

    uint64_t cpu = numbers[CPU_S];
    set_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE", status_w);
    set_limit(RLIMIT_CPU, cpu, cpu + 1, "RLIMIT_CPU", status_w);
    set_limit(RLIMIT_AS, numbers[MEMORY], numbers[MEMORY], "RLIMIT_AS", status_w);
    set_limit(RLIMIT_NPROC, numbers[NPROC], numbers[NPROC], "RLIMIT_NPROC", status_w);
    set_limit(RLIMIT_FSIZE, numbers[FSIZE], numbers[FSIZE], "RLIMIT_FSIZE", status_w);
    set_limit(RLIMIT_NOFILE, numbers[NOFILE], numbers[NOFILE], "RLIMIT_NOFILE", status_w);

    if (kind == PROGRAM_EXEC) {
        run_exec(argv, status_w);
    }
    /* Only the source stays: the files' contents and stdin would otherwise count against the candidate's
     * address-space limit for as long as it runs. */
    memmove(data, data + source_at, (size_t)source_len);
    unsigned char *source = realloc(data, source_len ? (size_t)source_len : 1);
    job->kind = kind;
    job->source = source != NULL ? source : data;
    job->source_len = (size_t)source_len;
    if (write(status_w, "R", 1) != 1) {
        _exit(CHILD_SETUP_FAILED);
    }
    close(status_w);
}
