package raftkv.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks that a history of reads, writes and compare-and-sets is linearizable, key by key: each key
 * is an independent register (linearizability is compositional), which keeps every search small.
 *
 * <p>The search is Wing &amp; Gong's, with Lowe's memoization (as in Knossos' "wgl" and Porcupine):
 * walk the operations in real-time order; try to linearize a pending call now (apply it to the
 * model); on reaching a return whose operation was not linearized, undo the last choice. A
 * configuration (set of linearized operations, register value) already explored is never explored
 * again. An {@code :info} operation has no return: it may take effect at any point after its call,
 * or never (which is the same as at the very end, since nothing later observes it).
 */
final class Linearizability {

    /** Largest number of distinct configurations explored for one key before giving up. */
    static final int MAX_CONFIGURATIONS = 2_000_000;

    /** The verdict for a whole history. {@code detail} explains the first key that is not fine. */
    record Verdict(boolean linearizable, boolean inconclusive, String detail) {
        static final Verdict OK = new Verdict(true, false, "linearizable");
    }

    /** A completed operation; {@code returned} is {@link Long#MAX_VALUE} for :info. */
    record Operation(int process, Op op, long called, long returned, long calledMs, long returnedMs) {
        boolean info() {
            return returned == Long.MAX_VALUE;
        }

        @Override
        public String toString() {
            String what = op.f() == Op.F.READ && !info() && op.value() == null ? op + " = nil" : op.toString();
            return "process " + process + " " + what + " [" + calledMs + "ms, "
                    + (info() ? "info" : returnedMs + "ms") + "]";
        }
    }

    private Linearizability() {}

    /** Checks every key of the history. Positions in the history order calls and returns exactly. */
    static Verdict check(List<History.Event> events) {
        Map<String, List<Operation>> byKey = operationsByKey(events);
        for (Map.Entry<String, List<Operation>> key : byKey.entrySet()) {
            Verdict verdict = checkRegister(key.getKey(), key.getValue());
            if (!verdict.linearizable()) {
                return verdict;
            }
        }
        return Verdict.OK;
    }

    /**
     * Pairs each invoke with its completion. :fail operations are dropped (they did not happen);
     * :info operations and invocations that never completed stay open forever.
     */
    static Map<String, List<Operation>> operationsByKey(List<History.Event> events) {
        Map<Integer, Integer> openCall = new HashMap<>();
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (int position = 0; position < events.size(); position++) {
            History.Event event = events.get(position);
            if (event.type() == History.Type.INVOKE) {
                openCall.put(event.process(), position);
                continue;
            }
            Integer called = openCall.remove(event.process());
            if (called == null) {
                throw new IllegalArgumentException("completion without invocation: " + event);
            }
            if (event.type() == History.Type.FAIL) {
                continue;
            }
            History.Event call = events.get(called);
            boolean info = event.type() == History.Type.INFO;
            Op op = info ? call.op() : event.op();
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(new Operation(event.process(), op,
                    called, info ? Long.MAX_VALUE : position, call.timeMs(), event.timeMs()));
        }
        for (int called : new TreeSet<>(openCall.values())) { // invoked, never completed: like :info
            History.Event call = events.get(called);
            byKey.computeIfAbsent(call.op().key(), k -> new ArrayList<>()).add(new Operation(
                    call.process(), call.op(), called, Long.MAX_VALUE, call.timeMs(), Long.MAX_VALUE));
        }
        return byKey;
    }

    // ---------------------------------------------------------------- the search

    /** A call or a return, in a doubly linked list ordered by history position. */
    private static final class Entry {
        final Operation op;
        final int slot;
        final boolean call;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Operation op, int slot, boolean call) {
            this.op = op;
            this.slot = slot;
            this.call = call;
        }
    }

    private record Configuration(BitSet linearized, String value) {}

    private record Choice(Entry call, String valueBefore) {}

    /** Searches for a linearization of the operations on one register, initially absent (nil). */
    static Verdict checkRegister(String key, List<Operation> ops) {
        Entry head = buildList(ops);
        int definite = (int) ops.stream().filter(o -> !o.info()).count();
        BitSet linearized = new BitSet(ops.size());
        Set<Configuration> seen = new HashSet<>();
        Deque<Choice> stack = new ArrayDeque<>();
        String value = null;
        int definiteDone = 0;
        Operation stuck = null;
        int deepest = -1;
        Entry entry = head.next;
        while (definiteDone < definite) {
            if (entry.call) {
                String after = apply(value, entry.op);
                boolean legal = after != INCONSISTENT;
                if (legal) {
                    linearized.set(entry.slot);
                    if (seen.add(new Configuration((BitSet) linearized.clone(), after))) {
                        stack.push(new Choice(entry, value));
                        value = after;
                        definiteDone += entry.op.info() ? 0 : 1;
                        lift(entry);
                        entry = head.next;
                        if (seen.size() > MAX_CONFIGURATIONS) {
                            return new Verdict(false, true, "key " + key + ": gave up after " + MAX_CONFIGURATIONS
                                    + " configurations of " + ops.size() + " operations");
                        }
                        continue;
                    }
                    linearized.clear(entry.slot);
                }
                entry = entry.next;
            } else {
                // A return whose call is still pending: that operation must have taken effect by now.
                if (stack.size() > deepest) {
                    deepest = stack.size();
                    stuck = entry.op;
                }
                if (stack.isEmpty()) {
                    return new Verdict(false, false, "key " + key + ": not linearizable; after linearizing "
                            + deepest + " of " + ops.size() + " operations, no order explains " + stuck);
                }
                Choice undo = stack.pop();
                linearized.clear(undo.call().slot);
                value = undo.valueBefore();
                definiteDone -= undo.call().op.info() ? 0 : 1;
                unlift(undo.call());
                entry = undo.call().next;
            }
        }
        return Verdict.OK;
    }

    /** Marks an impossible step (a read of another value, a cas whose expectation fails). */
    private static final String INCONSISTENT = new String("inconsistent");

    /** The compare-and-set register: the value after {@code operation}, or INCONSISTENT. */
    private static String apply(String value, Operation operation) {
        Op op = operation.op();
        return switch (op.f()) {
            // An :info read returned nothing we know, so it is consistent with any value.
            case READ -> operation.info() || Objects.equals(value, op.value()) ? value : INCONSISTENT;
            case WRITE -> op.value();
            case CAS -> Objects.equals(value, op.expected()) ? op.value() : INCONSISTENT;
        };
    }

    private static Entry buildList(List<Operation> ops) {
        List<Entry> entries = new ArrayList<>();
        for (int slot = 0; slot < ops.size(); slot++) {
            Operation op = ops.get(slot);
            Entry call = new Entry(op, slot, true);
            Entry ret = new Entry(op, slot, false);
            call.match = ret;
            ret.match = call;
            entries.add(call);
            entries.add(ret);
        }
        entries.sort((a, b) -> Long.compare(a.call ? a.op.called() : a.op.returned(),
                b.call ? b.op.called() : b.op.returned()));
        Entry head = new Entry(null, -1, false);
        Entry last = head;
        for (Entry e : entries) {
            last.next = e;
            e.prev = last;
            last = e;
        }
        return head;
    }

    /** Takes a linearized call and its return out of the list. */
    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    /** Puts them back, in reverse order of {@link #lift}. */
    private static void unlift(Entry call) {
        Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
