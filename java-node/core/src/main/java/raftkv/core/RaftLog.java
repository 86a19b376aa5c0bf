package raftkv.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;

/**
 * The in-memory copy of the Raft log: the entries after the compacted prefix, firstIndex..lastIndex
 * (Figure 2, "first index is 1"; dissertation §5.1: a snapshot replaces the prefix). The log knows
 * the index and term of the entry just before its first one ({@code prevIndex}, {@code prevTerm}):
 * index 0 with term 0 on a log that was never compacted, so prevLogIndex = 0 always matches; after
 * compaction, the last entry it dropped, so the AppendEntries consistency check still works for the
 * first entry it holds. The driver keeps the durable copy; this class only mirrors it.
 *
 * <p>It also knows the configuration in force at each of its indexes (dissertation §4.1): the
 * configuration entries it holds, and the one in force at {@code prevIndex} (from the snapshot, or
 * the bootstrap configuration). "A server always uses the latest configuration in its log, regardless
 * of whether the entry is committed"; truncating a configuration entry falls back to the one before.
 */
final class RaftLog {

    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private long prevIndex;
    private long prevTerm;
    private ClusterConfig baseConfiguration; // in force at prevIndex
    private final TreeMap<Long, ClusterConfig> configurations = new TreeMap<>(); // the entries', by index

    /** A log with no configuration before its entries (tests of the log alone). */
    RaftLog(long prevIndex, long prevTerm, List<LogEntry> restored) {
        this(prevIndex, prevTerm, ClusterConfig.EMPTY, restored);
    }

    RaftLog(long prevIndex, long prevTerm, ClusterConfig baseConfiguration, List<LogEntry> restored) {
        this.prevIndex = prevIndex;
        this.prevTerm = prevTerm;
        this.baseConfiguration = baseConfiguration;
        for (LogEntry entry : restored) {
            append(entry);
        }
    }

    /** The first index the log holds an entry for (lastIndex + 1 when it holds none). */
    long firstIndex() {
        return prevIndex + 1;
    }

    /** The last index that was compacted away (0 if none): its term is still known, its entry is not. */
    long prevIndex() {
        return prevIndex;
    }

    long lastIndex() {
        return prevIndex + entries.size();
    }

    long lastTerm() {
        return termAt(lastIndex());
    }

    /**
     * The term of the entry at {@code index}: 0 for index 0, the snapshot's term at the compaction
     * boundary, -1 if the log has no such entry (yet). Asking for a compacted index is a bug.
     */
    long termAt(long index) {
        if (index < 0) {
            return -1;
        }
        if (index == prevIndex) {
            return prevTerm;
        }
        if (index < prevIndex) {
            throw new IllegalArgumentException("entry " + index + " was compacted (log starts after " + prevIndex + ")");
        }
        if (index > lastIndex()) {
            return -1;
        }
        return get(index).term();
    }

    LogEntry get(long index) {
        return entries.get(Math.toIntExact(index - firstIndex()));
    }

    /** Entries from {@code from} to {@code to}, both inclusive; empty if from > to. */
    List<LogEntry> slice(long from, long to) {
        if (from > to) {
            return List.of();
        }
        return List.copyOf(entries.subList(Math.toIntExact(from - firstIndex()), Math.toIntExact(to - prevIndex)));
    }

    void append(LogEntry entry) {
        if (entry.index() != lastIndex() + 1) {
            throw new IllegalStateException("log gap: appending index " + entry.index() + " after " + lastIndex());
        }
        if (entry.term() < lastTerm()) {
            throw new IllegalStateException("log terms never decrease: " + entry.term() + " after " + lastTerm());
        }
        entries.add(entry);
        if (entry.command() instanceof Command.Configuration c) {
            configurations.put(entry.index(), c.configuration()); // in force at once (§4.1)
        }
    }

    /** The latest configuration in the log, committed or not (§4.1). */
    ClusterConfig latestConfiguration() {
        return configurations.isEmpty() ? baseConfiguration : configurations.lastEntry().getValue();
    }

    /** The index of the latest configuration entry; {@code prevIndex} if the log holds none (it is older). */
    long latestConfigurationIndex() {
        return configurations.isEmpty() ? prevIndex : configurations.lastKey();
    }

    /** The configuration in force at {@code index} (at or after prevIndex): the latest entry at or before it. */
    ClusterConfig configurationAt(long index) {
        if (index < prevIndex) {
            throw new IllegalArgumentException("entry " + index + " was compacted (log starts after " + prevIndex + ")");
        }
        var floor = configurations.floorEntry(index);
        return floor == null ? baseConfiguration : floor.getValue();
    }

    /** Removes the entry at {@code index} and all that follow it. */
    void truncateFrom(long index) {
        while (lastIndex() >= index) {
            entries.removeLast();
        }
        // §4.1: a configuration entry that is removed takes its configuration with it; the one
        // before it is in force again.
        configurations.tailMap(index, true).clear();
    }

    /** Drops every entry before {@code firstKept}: a snapshot now holds them (dissertation §5.1). */
    void compactBefore(long firstKept) {
        if (firstKept <= firstIndex()) {
            return;
        }
        long newPrevTerm = termAt(firstKept - 1);
        baseConfiguration = configurationAt(firstKept - 1);
        configurations.headMap(firstKept, false).clear();
        entries.subList(0, Math.toIntExact(Math.min(firstKept - firstIndex(), entries.size()))).clear();
        prevIndex = firstKept - 1;
        prevTerm = newPrevTerm;
    }

    /** Discards the entire log; it continues after the snapshot's last entry (dissertation Figure 5.3). */
    void resetAfter(Snapshot snapshot) {
        entries.clear();
        prevIndex = snapshot.lastIncludedIndex();
        prevTerm = snapshot.lastIncludedTerm();
        configurations.clear();
        baseConfiguration = snapshot.configuration(); // "and load snapshot's cluster configuration" (Figure 5.3)
    }

    /** The first held index holding {@code term} at or before {@code atOrBefore} (fast backtracking hint). */
    long firstIndexOfTerm(long term, long atOrBefore) {
        long index = atOrBefore;
        while (index > firstIndex() && termAt(index - 1) == term) {
            index--;
        }
        return index;
    }

    /** The last index known to hold {@code term} (the compaction boundary included), or 0 if none. */
    long lastIndexOfTerm(long term) {
        for (long index = lastIndex(); index >= Math.max(1, prevIndex); index--) {
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

    /** The entries held, firstIndex() first. */
    List<LogEntry> view() {
        return Collections.unmodifiableList(entries);
    }
}
