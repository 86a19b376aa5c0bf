package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker on small hand-made histories whose verdict is known. */
class LinearizabilityTest {

    /** Builds a history line by line; time advances one ms per line, so order is real-time order. */
    private static final class Builder {
        private final History history = new History();
        private long time;

        Builder invoke(int process, Op op) {
            history.add(History.Type.INVOKE, process, op, time++);
            return this;
        }

        Builder ok(int process, Op op) {
            history.add(History.Type.OK, process, op, time++);
            return this;
        }

        Builder fail(int process, Op op) {
            history.add(History.Type.FAIL, process, op, time++);
            return this;
        }

        Builder info(int process, Op op) {
            history.add(History.Type.INFO, process, op, time++);
            return this;
        }

        Linearizability.Verdict check() {
            return Linearizability.check(history.events());
        }
    }

    private static Op readOf(String value) {
        return Op.read("1").withValue(value);
    }

    @Test
    void sequentialWritesAndReadsAreLinearizable() {
        Builder h = new Builder()
                .invoke(0, Op.read("1")).ok(0, readOf(null)) // the register starts absent
                .invoke(0, Op.write("1", "Ada")).ok(0, Op.write("1", "Ada"))
                .invoke(1, Op.read("1")).ok(1, readOf("Ada"))
                .invoke(1, Op.cas("1", "Ada", "Grace")).ok(1, Op.cas("1", "Ada", "Grace"))
                .invoke(0, Op.read("1")).ok(0, readOf("Grace"));
        assertThat(h.check().linearizable()).isTrue();
    }

    @Test
    void aReadOfAnOverwrittenValueAfterTheWriteCompletedIsNotLinearizable() {
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).ok(0, Op.write("1", "Ada"))
                .invoke(0, Op.write("1", "Grace")).ok(0, Op.write("1", "Grace"))
                .invoke(1, Op.read("1")).ok(1, readOf("Ada")); // stale: Grace was written before the read began
        Linearizability.Verdict verdict = h.check();
        assertThat(verdict.linearizable()).isFalse();
        assertThat(verdict.inconclusive()).isFalse();
        assertThat(verdict.detail()).contains("key 1").contains("read 1 = Ada");
    }

    @Test
    void concurrentOperationsMayTakeEffectInEitherOrder() {
        // The read overlaps both writes, so it may see either value.
        Builder h = new Builder()
                .invoke(2, Op.read("1"))
                .invoke(0, Op.write("1", "Ada"))
                .invoke(1, Op.write("1", "Grace"))
                .ok(0, Op.write("1", "Ada"))
                .ok(1, Op.write("1", "Grace"))
                .ok(2, readOf("Ada"));
        assertThat(h.check().linearizable()).isTrue();
    }

    @Test
    void twoReadsCannotSeeConcurrentWritesInOppositeOrders() {
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada"))
                .invoke(1, Op.write("1", "Grace"))
                .ok(0, Op.write("1", "Ada"))
                .ok(1, Op.write("1", "Grace"))
                .invoke(2, Op.read("1")).ok(2, readOf("Ada"))
                .invoke(3, Op.read("1")).ok(3, readOf("Grace"))
                .invoke(2, Op.read("1")).ok(2, readOf("Ada")); // Ada again after Grace was seen: impossible
        assertThat(h.check().linearizable()).isFalse();
    }

    @Test
    void aFailedCasNeverTookEffect() {
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).ok(0, Op.write("1", "Ada"))
                .invoke(1, Op.cas("1", "Ada", "Grace")).fail(1, Op.cas("1", "Ada", "Grace"))
                .invoke(0, Op.read("1")).ok(0, readOf("Grace"));
        assertThat(h.check().linearizable()).isFalse();
    }

    @Test
    void aSuccessfulCasNeedsTheExpectedValue() {
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).ok(0, Op.write("1", "Ada"))
                .invoke(1, Op.cas("1", "Grace", "Edsger")).ok(1, Op.cas("1", "Grace", "Edsger"));
        assertThat(h.check().linearizable()).isFalse();
    }

    @Test
    void anInfoWriteMayTakeEffectLongAfterItsInvocation() {
        // The write timed out (:info); a read much later sees it: fine, it took effect late.
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).info(0, Op.write("1", "Ada"))
                .invoke(1, Op.read("1")).ok(1, readOf(null))
                .invoke(1, Op.read("1")).ok(1, readOf("Ada"));
        assertThat(h.check().linearizable()).isTrue();
    }

    @Test
    void anInfoWriteMayNeverTakeEffect() {
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).info(0, Op.write("1", "Ada"))
                .invoke(1, Op.read("1")).ok(1, readOf(null))
                .invoke(1, Op.read("1")).ok(1, readOf(null));
        assertThat(h.check().linearizable()).isTrue();
    }

    @Test
    void anInfoWriteTakesEffectAtMostOnce() {
        // Ada (info) then Grace (ok) then Ada again: Ada would have to take effect twice.
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).info(0, Op.write("1", "Ada"))
                .invoke(1, Op.read("1")).ok(1, readOf("Ada"))
                .invoke(1, Op.write("1", "Grace")).ok(1, Op.write("1", "Grace"))
                .invoke(1, Op.read("1")).ok(1, readOf("Ada"));
        assertThat(h.check().linearizable()).isFalse();
    }

    @Test
    void anInfoOperationCannotTakeEffectBeforeItWasInvoked() {
        Builder h = new Builder()
                .invoke(1, Op.read("1")).ok(1, readOf("Ada"))
                .invoke(0, Op.write("1", "Ada")).info(0, Op.write("1", "Ada"));
        assertThat(h.check().linearizable()).isFalse();
    }

    @Test
    void anInvocationWithoutCompletionIsTreatedAsInfo() {
        Builder h = new Builder()
                .invoke(0, Op.cas("1", null, "Ada"))
                .invoke(1, Op.write("1", "Grace")).ok(1, Op.write("1", "Grace"))
                .invoke(1, Op.read("1")).ok(1, readOf("Grace"));
        assertThat(h.check().linearizable()).isTrue();
    }

    @Test
    void keysAreIndependentRegisters() {
        Builder h = new Builder()
                .invoke(0, Op.write("1", "Ada")).ok(0, Op.write("1", "Ada"))
                .invoke(0, Op.write("2", "Grace")).ok(0, Op.write("2", "Grace"))
                .invoke(1, Op.read("2")).ok(1, Op.read("2").withValue("Grace"))
                .invoke(1, Op.read("1")).ok(1, readOf("Grace")); // key 1 never held Grace
        Linearizability.Verdict verdict = h.check();
        assertThat(verdict.linearizable()).isFalse();
        assertThat(verdict.detail()).startsWith("key 1");
    }

    @Test
    void manyConcurrentInfoWritesStayFastToCheck() {
        // 14 writes in limbo, then a long sequential tail: memoization keeps this small.
        Builder h = new Builder();
        List<String> names = List.of("Ada", "Grace", "Edsger", "Barbara", "Leslie", "Tony", "Niklaus");
        for (int p = 0; p < 14; p++) {
            h.invoke(p, Op.write("1", names.get(p % names.size())));
        }
        for (int p = 0; p < 14; p++) {
            h.info(p, Op.write("1", names.get(p % names.size())));
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String name = names.get(i % names.size());
            h.invoke(100, Op.write("1", name)).ok(100, Op.write("1", name));
            h.invoke(101, Op.read("1")).ok(101, readOf(name));
            seen.add(name);
        }
        long start = System.nanoTime();
        assertThat(h.check().linearizable()).isTrue();
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms to check").isLessThan(2_000);
    }
}
