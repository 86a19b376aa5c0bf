package raftkv.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The history of client operations, as Jepsen records it: an {@code :invoke} when a process starts
 * an operation, then exactly one completion — {@code :ok} (it happened, with this result),
 * {@code :fail} (it definitely did not happen) or {@code :info} (unknown: it may take effect at any
 * time after its invocation, or never).
 */
final class History {

    enum Type {
        INVOKE,
        OK,
        FAIL,
        INFO
    }

    /** One line of the history; {@code op.value()} of a read's :ok is the name read (null: absent). */
    record Event(Type type, int process, Op op, long timeMs) {}

    private final List<Event> events = new ArrayList<>();

    void add(Type type, int process, Op op, long timeMs) {
        events.add(new Event(type, process, op, timeMs));
    }

    List<Event> events() {
        return Collections.unmodifiableList(events);
    }

    /** Completed operations (:ok, :fail or :info). */
    long completions() {
        return events.stream().filter(e -> e.type() != Type.INVOKE).count();
    }

    long count(Type type) {
        return events.stream().filter(e -> e.type() == type).count();
    }
}
