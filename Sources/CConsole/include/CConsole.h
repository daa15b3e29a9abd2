#ifndef CCONSOLE_H
#define CCONSOLE_H

// The console's terminal side, over libedit: a line with editing and history, Ctrl-C that
// cancels the line instead of ending the program, and completion through one callback.
//
// Ctrl-C: a SIGINT handler installed without SA_RESTART makes libedit's read return, so
// cc_readline returns NULL with cc_interrupted() true; at end of input it returns NULL with
// cc_interrupted() false. The handler only sets a flag, the one thing a signal handler may
// safely do; while Lua code runs, the console watches the flag from another thread and
// interrupts the state.

/// Completions for the word before the cursor: a malloc'd, NULL-terminated array of malloc'd
/// strings (or NULL for none). `line` is the whole line up to the cursor.
typedef char **(*cc_completer)(const char *word, const char *line);

void cc_setup(const char *program, cc_completer completer);
/// A line without its newline (free it), or NULL: see above.
char *cc_readline(const char *prompt);
int cc_interrupted(void);
void cc_reset_interrupt(void);
void cc_history_add(const char *line);
void cc_history_load(const char *path);
void cc_history_save(const char *path, int keep);

#endif
