package raftkv.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The in-memory copy of the Raft log: entries with index 1..lastIndex (Figure 2, "first index is
 * 1"). Index 0 is a sentinel with term 0, so prevLogIndex = 0 always matches. The driver keeps the
 * durable copy; this class only mirrors it.
 */
final class RaftLog {

    private final ArrayList<LogEntry> entries = new ArrayList<>();

    RaftLog(List<LogEntry> restored) {
        for (LogEntry entry : restored) {
            append(entry);
        }
    }

    long lastIndex() {
        return entries.size();
    }

    long lastTerm() {
        return termAt(lastIndex());
    }

    /** The term of the entry at {@code index}; 0 for index 0; -1 if the log has no such entry. */
    long termAt(long index) {
        if (index == 0) {
            return 0;
        }
        if (index < 0 || index > lastIndex()) {
            return -1;
        }
        return get(index).term();
    }

    LogEntry get(long index) {
        return entries.get(Math.toIntExact(index - 1));
    }

    /** Entries from {@code from} to {@code to}, both inclusive; empty if from > to. */
    List<LogEntry> slice(long from, long to) {
        if (from > to) {
            return List.of();
        }
        return List.copyOf(entries.subList(Math.toIntExact(from - 1), Math.toIntExact(to)));
    }

    void append(LogEntry entry) {
        if (entry.index() != lastIndex() + 1) {
            throw new IllegalStateException("log gap: appending index " + entry.index() + " after " + lastIndex());
        }
        if (entry.term() < lastTerm()) {
            throw new IllegalStateException("log terms never decrease: " + entry.term() + " after " + lastTerm());
        }
        entries.add(entry);
    }

    /** Removes the entry at {@code index} and all that follow it. */
    void truncateFrom(long index) {
        while (lastIndex() >= index) {
            entries.removeLast();
        }
    }

    /** The first index holding {@code term} at or before {@code atOrBefore} (fast backtracking hint). */
    long firstIndexOfTerm(long term, long atOrBefore) {
        long index = atOrBefore;
        while (index > 1 && termAt(index - 1) == term) {
            index--;
        }
        return index;
    }

    /** The last index holding {@code term}, or 0 if the log has no entry of that term. */
    long lastIndexOfTerm(long term) {
        for (long index = lastIndex(); index >= 1; index--) {
            long t = termAt(index);
            if (t == term) {
                return index;
            }
            if (t < term) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * "Raft determines which of two logs is more up-to-date by comparing the index and term of the
     * last entries in the logs. If the logs have last entries with different terms, then the log
     * with the later term is more up-to-date. If the logs end with the same term, then whichever log
     * is longer is more up-to-date." (§5.4.1)
     */
    boolean isUpToDate(long candidateLastIndex, long candidateLastTerm) {
        if (candidateLastTerm != lastTerm()) {
            return candidateLastTerm > lastTerm();
        }
        return candidateLastIndex >= lastIndex();
    }

    List<LogEntry> view() {
        return Collections.unmodifiableList(entries);
    }
}
