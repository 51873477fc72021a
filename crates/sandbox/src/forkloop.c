/* Assay fork server's per-job loop: trusted code, loaded by server.py (ctypes.PyDLL, so the interpreter's
 * lock stays held and no other thread runs) and entered once; it returns only in the forked child of a
 * Python or preload job, once childsetup.c has set that child up.
 *
 * Why native: the same loop in Python wrote to ~100 of the server's heap pages per job (reference counts,
 * frames, bytecode caches), and every fork write-protects them again, so each job cost ~100 page faults and
 * ~0.3 ms of interpreter work in the server. Here the server touches its stack and a few buffers.
 *
 * What it does per job, as the Python loop did (see server.py's header comment for the protocol):
 * reads the binary header frame from the request fd (never the body: the child reads that, so no candidate
 * data ever sits in this process), makes /box/work and /box/tmp, forks; in the parent it waits for the
 * child's exit or the wall deadline (then SIGKILL), reaps, kills and reaps every other process of the PID
 * namespace (it is PID 1), reads the child's setup status, the capped stdout/stderr capture files and the
 * requested files of the working directory, wipes the writable directories (a failed wipe is fatal: the
 * server exits), and answers with one response frame plus the output and file bytes. Any other failure is
 * answered with a fatal frame, then the server exits; Rust starts a fresh one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forkloop.h"

#define EXPORT __attribute__((visibility("default")))

enum { SETUP_STATUS_CAP = 4096 };
/* wall_ms, cpu_ms, maxrss_kb, timed_out, exit_code, signal, fatal, stdout_len, stdout_total, stderr_len,
 * stderr_total, error length, fetched count: `<ddQBiiBQQQQII` (protocol.rs, Response::parse). */
enum { RESPONSE_FIXED = 8 + 8 + 8 + 1 + 4 + 4 + 1 + 8 * 4 + 4 + 4, FETCHED_ENTRY = 4 + 8 };

static int requests, responses;

/* A byte buffer that grows; `zero_and_reset` wipes what it held before it is reused. */
struct bytes {
    unsigned char *data;
    size_t len, cap;
};

static void write_all(int fd, const void *data, size_t len);

/* Answers with a fatal frame naming what failed, and exits: the stream may be out of step, so this server
 * serves no further job. */
static _Noreturn void fatal(const char *what, int error) {
    char text[512];
    int n = snprintf(text, sizeof text, "server: %s: %s", what, strerror(error));
    uint32_t text_len = n < 0 ? 0 : (uint32_t)(n < (int)sizeof text ? n : (int)sizeof text - 1);
    unsigned char frame[4 + RESPONSE_FIXED];
    memset(frame, 0, sizeof frame);
    uint32_t frame_len = RESPONSE_FIXED + text_len;
    memcpy(frame, &frame_len, 4);
    /* On the stack, not built with `append`: this also reports a failed allocation. Offsets as in
     * RESPONSE_FIXED: exit_code (-1, none) after wall_ms, cpu_ms, maxrss_kb and timed_out; then the signal
     * (0) and the fatal flag. */
    int32_t no_exit_code = -1;
    memcpy(frame + 4 + 8 + 8 + 8 + 1, &no_exit_code, 4);
    frame[4 + 8 + 8 + 8 + 1 + 4 + 4] = 1;
    memcpy(frame + 4 + RESPONSE_FIXED - 8, &text_len, 4);
    write_all(responses, frame, sizeof frame);
    write_all(responses, text, text_len);
    _exit(1);
}

static void *allocate(size_t size) {
    void *memory = malloc(size ? size : 1);
    if (memory == NULL) {
        fatal("allocation", ENOMEM);
    }
    return memory;
}

static void reserve(struct bytes *buffer, size_t wanted) {
    if (buffer->cap >= wanted) {
        return;
    }
    size_t cap = buffer->cap * 2 > wanted ? buffer->cap * 2 : wanted;
    cap = cap < 4096 ? 4096 : cap;
    unsigned char *grown = allocate(cap);
    if (buffer->data != NULL) {
        memcpy(grown, buffer->data, buffer->len);
        memset(buffer->data, 0, buffer->len);
        free(buffer->data);
    }
    buffer->data = grown;
    buffer->cap = cap;
}

static void append(struct bytes *buffer, const void *data, size_t len) {
    reserve(buffer, buffer->len + len);
    memcpy(buffer->data + buffer->len, data, len);
    buffer->len += len;
}

static void zero_and_reset(struct bytes *buffer) {
    if (buffer->data != NULL) {
        memset(buffer->data, 0, buffer->len);
    }
    buffer->len = 0;
}

/* Zeroes and frees: names a job gave its files are its data too, and this heap is every later child's. */
static void release(struct bytes *buffer) {
    zero_and_reset(buffer);
    free(buffer->data);
    *buffer = (struct bytes){0};
}

int write_fully(int fd, const void *data, size_t len) {
    const unsigned char *at = data;
    while (len > 0) {
        ssize_t n = write(fd, at, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        at += n;
        len -= (size_t)n;
    }
    return 0;
}

int read_fully(int fd, void *data, size_t len) {
    unsigned char *at = data;
    while (len > 0) {
        ssize_t n = read(fd, at, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        if (n == 0) {
            return -1;
        }
        at += n;
        len -= (size_t)n;
    }
    return 0;
}

static void write_all(int fd, const void *data, size_t len) {
    if (write_fully(fd, data, len) != 0) {
        /* The response pipe is gone: Rust has given up on this server. */
        _exit(1);
    }
}

/* 1 when `len` bytes were read, 0 at end of stream (even after part of them). */
static int read_exact(int fd, unsigned char *data, size_t len) {
    int error = read_fully(fd, data, len);
    if (error > 0) {
        fatal("reading a request", error);
    }
    return error == 0;
}

/* A request header: the numbers, then the paths to read back from the working directory, each copied
 * NUL-terminated into `paths` (their offsets in `path_at`). */
struct header {
    uint64_t numbers[HEADER_NUMBERS];
    struct bytes raw, paths;
    size_t *path_at;
    uint32_t path_count;
};

/* 1 with the next header read, 0 at end of stream. */
static int read_header(struct header *header) {
    unsigned char head[4];
    if (!read_exact(requests, head, 4)) {
        return 0;
    }
    size_t len = load_u32(head);
    header->raw.len = 0;
    reserve(&header->raw, len);
    if (!read_exact(requests, header->raw.data, len)) {
        return 0;
    }
    const unsigned char *raw = header->raw.data;
    size_t at = 8 * HEADER_NUMBERS;
    if (len < at + 4) {
        fatal("malformed request header", EPROTO);
    }
    for (int i = 0; i < HEADER_NUMBERS; i++) {
        header->numbers[i] = load_u64(raw + 8 * i);
    }
    header->path_count = load_u32(raw + at);
    at += 4;
    if (header->path_count > (len - at) / 4) {
        fatal("malformed request header", EPROTO);
    }
    free(header->path_at);
    header->path_at = allocate(sizeof(size_t) * header->path_count);
    header->paths.len = 0;
    for (uint32_t i = 0; i < header->path_count; i++) {
        if (len - at < 4 || len - at - 4 < load_u32(raw + at)) {
            fatal("malformed request header", EPROTO);
        }
        size_t size = load_u32(raw + at);
        header->path_at[i] = header->paths.len;
        /* A path with a NUL inside is kept as "", which open_in_work refuses, rather than cut short. */
        if (memchr(raw + at + 4, '\0', size) == NULL) {
            append(&header->paths, raw + at + 4, size);
        }
        append(&header->paths, "", 1);
        at += 4 + size;
    }
    return 1;
}

static double now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

static void prepare_dirs(void) {
    /* The server's umask (0o022) leaves these modes as they are. */
    if (mkdir(WORK, 0755) != 0 || chown(WORK, CHILD_ID, CHILD_ID) != 0 || mkdir(TMP, 0700) != 0 ||
        chown(TMP, CHILD_ID, CHILD_ID) != 0) {
        fatal("preparing the job's directories", errno);
    }
}

/* As PID 1, kill(-1) reaches every other process of the namespace (orphans, setsid'd daemons...). */
static void kill_everyone_else(void) {
    if (kill(-1, SIGKILL) != 0) {
        return; /* ESRCH: not one other process, not even a zombie */
    }
    for (;;) {
        if (waitpid(-1, NULL, 0) < 0 && errno != EINTR) {
            return; /* ECHILD */
        }
    }
}

/* The names in `directory`, each NUL-terminated, read whole before anything in it changes; -1 if it cannot
 * be listed. `kinds` gets one d_type per name. */
static int list_directory(const char *directory, struct bytes *names, struct bytes *kinds) {
    DIR *listing = opendir(directory);
    if (listing == NULL) {
        return -1;
    }
    names->len = 0;
    kinds->len = 0;
    int failed = 0;
    for (;;) {
        errno = 0; /* readdir's end and its failure differ only in errno */
        struct dirent *entry = readdir(listing);
        if (entry == NULL) {
            failed = errno != 0;
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        append(names, entry->d_name, strlen(entry->d_name) + 1);
        unsigned char kind = entry->d_type;
        append(kinds, &kind, 1);
    }
    closedir(listing);
    return failed ? -1 : 0;
}

/* Deletes `top` without recursion or long paths: every subdirectory is first renamed to a fresh name directly
 * under /box, so a 16k-deep tree (the tmpfs inode cap) costs neither stack nor PATH_MAX. Runs after every
 * process of the job is dead, so nothing races it. 0 on success. */
static int remove_tree(const char *top) {
    struct stat info;
    if (lstat(top, &info) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    struct bytes pending = {0}, names = {0}, kinds = {0};
    append(&pending, top, strlen(top) + 1);
    unsigned long moved = 0;
    int result = 0;
    char directory[64], path[64 + 256 + 2], flat[64];
    while (pending.len > 0 && result == 0) {
        /* Pop the last NUL-terminated path. */
        size_t end = pending.len - 1, start = end;
        while (start > 0 && pending.data[start - 1] != '\0') {
            start--;
        }
        snprintf(directory, sizeof directory, "%s", (const char *)pending.data + start);
        pending.len = start;
        if (list_directory(directory, &names, &kinds) != 0) {
            result = -1;
            break;
        }
        size_t offset = 0;
        for (size_t i = 0; i < kinds.len && result == 0; i++) {
            const char *name = (const char *)names.data + offset;
            offset += strlen(name) + 1;
            snprintf(path, sizeof path, "%s/%s", directory, name);
            int is_dir = kinds.data[i] == DT_DIR;
            if (kinds.data[i] == DT_UNKNOWN) {
                is_dir = lstat(path, &info) == 0 && S_ISDIR(info.st_mode);
            }
            if (is_dir) {
                snprintf(flat, sizeof flat, "/box/.wipe-%lu", ++moved);
                if (rename(path, flat) == 0) {
                    append(&pending, flat, strlen(flat) + 1);
                } else {
                    result = -1;
                }
            } else if (unlink(path) != 0) {
                result = -1;
            }
        }
        if (result == 0 && rmdir(directory) != 0) {
            result = -1;
        }
    }
    release(&pending);
    release(&names);
    release(&kinds);
    return result;
}

/* Empties the job's directories and the capture files; 0 on success. `set_up`: the child finished its setup,
 * so IO holds exactly stdout and stderr (it unlinked its stdin file itself, and candidates cannot enter IO). */
static int wipe_dirs(int set_up) {
    const char *tops[] = {WORK, TMP};
    for (int i = 0; i < 2; i++) {
        /* rmdir first: the common case, a job that left its directories empty. */
        if (rmdir(tops[i]) != 0 && remove_tree(tops[i]) != 0) {
            return -1;
        }
    }
    if (set_up) {
        return unlink(STDOUT_PATH) == 0 && unlink(STDERR_PATH) == 0 ? 0 : -1;
    }
    struct bytes names = {0}, kinds = {0};
    int result = list_directory(IO, &names, &kinds);
    char path[sizeof IO + 256 + 1];
    for (size_t offset = 0; result == 0 && offset < names.len;) {
        const char *name = (const char *)names.data + offset;
        offset += strlen(name) + 1;
        snprintf(path, sizeof path, "%s/%s", IO, name);
        if (unlink(path) != 0) {
            result = -1;
        }
    }
    release(&names);
    release(&kinds);
    return result;
}

/* Reads at most `cap` bytes of a capture file into `into`; the file's full size goes to `total`. A missing
 * file (the child never made it) reads as empty. The buffer grows to what outputs need, not to the cap: the
 * cap's worth of memory would be copied, as page-table entries, by every fork. */
static void read_capped(const char *path, uint64_t cap, struct bytes *into, uint64_t *total) {
    into->len = 0;
    *total = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return;
        }
        fatal("opening a capture file", errno);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) {
        fatal("sizing a capture file", errno);
    }
    *total = (uint64_t)size;
    size_t wanted = (size_t)(cap < *total ? cap : *total);
    reserve(into, wanted);
    while (into->len < wanted) {
        ssize_t n = pread(fd, into->data + into->len, wanted - into->len, (off_t)into->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fatal("reading a capture file", errno);
        }
        if (n == 0) {
            break;
        }
        into->len += (size_t)n;
    }
    close(fd);
}

/* Opens WORK/rel for reading without following a symlink in any component; -1 when that fails. */
static int open_in_work(const char *rel) {
    size_t len = strlen(rel);
    if (len == 0 || rel[0] == '/') {
        return -1;
    }
    /* Every component must be a plain name: no empty, "." or ".." component. */
    for (const char *part = rel;;) {
        const char *slash = strchr(part, '/');
        size_t part_len = slash ? (size_t)(slash - part) : strlen(part);
        if (part_len == 0 || (part_len == 1 && part[0] == '.') ||
            (part_len == 2 && part[0] == '.' && part[1] == '.') || part_len > 255) {
            return -1;
        }
        if (!slash) {
            break;
        }
        part = slash + 1;
    }
    const int directory_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(WORK, directory_flags);
    char name[256];
    for (const char *part = rel; fd >= 0;) {
        const char *slash = strchr(part, '/');
        size_t part_len = slash ? (size_t)(slash - part) : strlen(part);
        memcpy(name, part, part_len);
        name[part_len] = '\0';
        /* O_NONBLOCK on the last: opening a FIFO left behind must not block the server. */
        int inner = slash ? openat(fd, name, directory_flags)
                          : openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        close(fd);
        fd = inner;
        if (!slash) {
            break;
        }
        part = slash + 1;
    }
    return fd;
}

/* The requested regular files of WORK (every process of the job is dead by now), whole files only, within
 * `budget` bytes in total: their (index, length) entries go to `listed`, their bytes to `contents`. */
static void fetch_files(const struct header *header, struct bytes *listed, struct bytes *contents) {
    uint64_t budget = header->numbers[FETCH_BYTES];
    listed->len = 0;
    contents->len = 0;
    for (uint32_t index = 0; index < header->path_count; index++) {
        int fd = open_in_work((const char *)header->paths.data + header->path_at[index]);
        if (fd < 0) {
            continue;
        }
        struct stat info;
        if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || (uint64_t)info.st_size > budget) {
            close(fd);
            continue;
        }
        size_t start = contents->len, size = (size_t)info.st_size, got = 0;
        reserve(contents, start + size);
        int failed = 0;
        while (got < size) {
            ssize_t n = read(fd, contents->data + start + got, size - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                failed = 1;
            }
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
        }
        close(fd);
        if (failed) {
            memset(contents->data + start, 0, got);
            continue;
        }
        contents->len = start + got;
        budget -= got;
        uint32_t index_le = index;
        uint64_t got_le = got;
        append(listed, &index_le, 4);
        append(listed, &got_le, 8);
    }
}

struct outcome {
    double wall_ms;
    struct rusage usage;
    int status, timed_out;
};

/* Waits for the child's exit or its wall deadline (then kills it), reaps it and every other process. */
static void await_child(pid_t pid, uint64_t wall_ms, struct outcome *outcome) {
    double started = now_ms(), deadline = started + (double)wall_ms;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        fatal("pidfd_open", errno);
    }
    outcome->timed_out = 0;
    for (;;) {
        double left = deadline - now_ms();
        struct pollfd exit_watch = {.fd = pidfd, .events = POLLIN};
        int ready = poll(&exit_watch, 1, left < 1.0 ? 1 : left > 1e9 ? 1000000000 : (int)left);
        if (ready > 0) {
            break;
        }
        if (ready < 0 && errno != EINTR) {
            fatal("poll", errno);
        }
        if (now_ms() >= deadline) {
            outcome->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
    }
    while (wait4(pid, &outcome->status, 0, &outcome->usage) < 0) {
        if (errno != EINTR) {
            fatal("wait4", errno);
        }
    }
    outcome->wall_ms = now_ms() - started;
    kill_everyone_else();
    close(pidfd);
}

/* The child's setup status: "B" once it read its body, then "R" (ready) or "E" + the error. */
static size_t read_setup_status(int status_r, char *status) {
    size_t len = 0;
    while (len < SETUP_STATUS_CAP) {
        ssize_t n = read(status_r, status + len, SETUP_STATUS_CAP - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* closed, or EAGAIN: nothing more was written */
        }
        len += (size_t)n;
    }
    close(status_r);
    return len;
}

static struct bytes captured[2], listed, fetched, response;

static void supervise(pid_t pid, int status_r, const struct header *header) {
    struct outcome outcome;
    await_child(pid, header->numbers[WALL_MS], &outcome);
    char setup[SETUP_STATUS_CAP];
    size_t setup_len = read_setup_status(status_r, setup);
    int body_read = setup_len >= 1 && setup[0] == 'B';
    int set_up = setup_len >= 2 && setup[0] == 'B' && setup[1] == 'R';
    const char *error = "";
    size_t error_len = 0;
    int is_fatal = 0;
    if (!set_up) {
        error = setup_len >= 2 && setup[0] == 'B' && setup[1] == 'E' ? setup + 2 : setup;
        error_len = setup_len - (size_t)(error - setup);
        if (error_len == 0) {
            error = "child died during setup";
            error_len = strlen(error);
        }
        /* Without "B" the body may still sit in the request pipe: the stream is out of step, so stop here. */
        is_fatal = !body_read;
    }
    uint64_t totals[2];
    read_capped(STDOUT_PATH, header->numbers[OUTPUT], &captured[0], &totals[0]);
    read_capped(STDERR_PATH, header->numbers[OUTPUT], &captured[1], &totals[1]);
    fetch_files(header, &listed, &fetched);
    /* Wipe before answering: if cleaning fails, this answer says so (fatal) and the server exits, instead of
     * a late error frame being mistaken for the next job's answer. */
    if (wipe_dirs(set_up) != 0) {
        is_fatal = 1;
    }
    double cpu_ms = ((double)outcome.usage.ru_utime.tv_sec + (double)outcome.usage.ru_stime.tv_sec) * 1000.0 +
                    ((double)outcome.usage.ru_utime.tv_usec + (double)outcome.usage.ru_stime.tv_usec) / 1000.0;
    uint64_t maxrss_kb = (uint64_t)outcome.usage.ru_maxrss;
    unsigned char timed_out = (unsigned char)outcome.timed_out, fatal_flag = (unsigned char)is_fatal;
    int32_t exit_code = WIFEXITED(outcome.status) ? WEXITSTATUS(outcome.status) : -1;
    int32_t signal_number = WIFSIGNALED(outcome.status) ? WTERMSIG(outcome.status) : 0;
    uint64_t sizes[4] = {captured[0].len, totals[0], captured[1].len, totals[1]};
    uint32_t counts[2] = {(uint32_t)error_len, (uint32_t)(listed.len / FETCHED_ENTRY)};
    response.len = 0;
    reserve(&response, 4);
    response.len = 4;
    append(&response, &outcome.wall_ms, 8);
    append(&response, &cpu_ms, 8);
    append(&response, &maxrss_kb, 8);
    append(&response, &timed_out, 1);
    append(&response, &exit_code, 4);
    append(&response, &signal_number, 4);
    append(&response, &fatal_flag, 1);
    append(&response, sizes, sizeof sizes);
    append(&response, counts, sizeof counts);
    append(&response, error, error_len);
    append(&response, listed.data, listed.len);
    uint32_t frame_len = (uint32_t)(response.len - 4);
    memcpy(response.data, &frame_len, 4);
    write_all(responses, response.data, response.len);
    write_all(responses, captured[0].data, captured[0].len);
    write_all(responses, captured[1].data, captured[1].len);
    write_all(responses, fetched.data, fetched.len);
    /* Zeroed, so that a later child cannot find an earlier child's output (e.g. a correct sibling's answer)
     * or files in the heap it inherits. */
    zero_and_reset(&captured[0]);
    zero_and_reset(&captured[1]);
    zero_and_reset(&fetched);
    zero_and_reset(&response);
    memset(setup, 0, sizeof setup);
    if (is_fatal) {
        _exit(1);
    }
}

/* Serves jobs from `request_fd`, answering on `response_fd`. Returns 0 only in a forked child of a Python or
 * preload job, set up and with its program in `job` (an exec job's child execs); in this server it never
 * returns (it exits at the end of the request stream, or after a fatal frame). */
EXPORT int assay_serve(int request_fd, int response_fd, struct job *job) {
    requests = request_fd;
    responses = response_fd;
    static struct header header;
    while (read_header(&header)) {
        prepare_dirs();
        /* Non-blocking, so that the setup status is read after the child's exit without waiting. */
        int status[2];
        if (pipe2(status, O_CLOEXEC | O_NONBLOCK) != 0) {
            fatal("pipe2", errno);
        }
        pid_t pid = fork();
        if (pid < 0) {
            fatal("fork", errno);
        }
        if (pid == 0) {
            close(status[0]);
            child_setup(requests, responses, status[1], header.numbers, job);
            return 0;
        }
        close(status[1]);
        supervise(pid, status[0], &header);
    }
    _exit(0);
}
