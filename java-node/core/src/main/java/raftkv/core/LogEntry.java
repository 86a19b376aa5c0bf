package raftkv.core;

import java.util.Objects;

/**
 * One entry of the Raft log (Figure 2: "each entry contains command for state machine, and term
 * when entry was received by leader (first index is 1)").
 *
 * @param session the client session the command belongs to, or {@code null} for commands sent
 *     without one (and for the leader's no-op)
 */
public record LogEntry(long term, long index, Command command, Session session) {
    public LogEntry {
        Objects.requireNonNull(command, "command");
        if (term < 1 || index < 1) {
            throw new IllegalArgumentException("log entries have term >= 1 and index >= 1: " + term + "/" + index);
        }
    }
}
