package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.StableStorage;

/**
 * A node's "disk": the hard state and the log, exactly as the Ready contract asks them to be
 * persisted. It survives a simulated crash; everything else of the node does not.
 */
final class Storage implements StableStorage {

    private HardState hardState = HardState.INITIAL;
    private final List<LogEntry> log = new ArrayList<>();

    /** Step 1 of the Ready contract: hard state, then truncation, then the new entries. */
    @Override
    public void persist(HardState newHardState, long truncateFrom, List<LogEntry> entries) {
        if (newHardState != null) {
            hardState = newHardState;
        }
        if (truncateFrom > 0) {
            while (log.size() >= truncateFrom) {
                log.removeLast();
            }
        }
        for (LogEntry entry : entries) {
            if (entry.index() != log.size() + 1) {
                throw new IllegalStateException("Ready appends index " + entry.index() + " after " + log.size());
            }
            log.add(entry);
        }
    }

    HardState hardState() {
        return hardState;
    }

    /** A copy of the persisted log, for a restart. */
    List<LogEntry> log() {
        return List.copyOf(log);
    }

    /** The term of the persisted entry at {@code index}; 0 for index 0. */
    long termAt(long index) {
        return index == 0 ? 0 : log.get(Math.toIntExact(index - 1)).term();
    }
}
