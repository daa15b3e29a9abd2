#include "CConsole.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <editline/readline.h>

static volatile sig_atomic_t interrupted = 0;
static cc_completer completer = NULL;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

// libedit asks for the completions of the word before the cursor; the Swift side answers.
static char **attempt(const char *word, int start, int end) {
    (void)start;
    char *line = strndup(rl_line_buffer ? rl_line_buffer : "", (size_t)end);
    char **matches = completer && line ? completer(word, line) : NULL;
    free(line);
    rl_attempted_completion_over = 1;   // never fall back to file names
    return matches;
}

void cc_setup(const char *program, cc_completer fn) {
    completer = fn;
    rl_readline_name = program;
    using_history();
    rl_initialize();   // before history or settings: libedit builds its editor here
    rl_attempted_completion_function = attempt;
    // Word breaks without '.' and ':' so that `case:sch` completes as one word.
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(,+-*/%^~#[]";
    rl_completion_append_character = '\0';
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   // no SA_RESTART: the pending read returns, and so does readline
    sigaction(SIGINT, &sa, NULL);
    // A parent may have blocked SIGINT (test runners do), and the mask survives exec.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

char *cc_readline(const char *prompt) {
    interrupted = 0;
    return readline(prompt);
}

int cc_interrupted(void) { return interrupted; }

void cc_reset_interrupt(void) { interrupted = 0; }

void cc_history_add(const char *line) { add_history(line); }
void cc_history_load(const char *path) { read_history(path); }
void cc_history_save(const char *path, int keep) {
    write_history(path);
    history_truncate_file(path, keep);
}
