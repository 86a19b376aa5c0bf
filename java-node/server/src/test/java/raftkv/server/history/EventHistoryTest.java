package raftkv.server.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventHistoryTest {

    private final AtomicLong clock = new AtomicLong(1_000);

    @Test
    void keepsTheLastCapacityEventsAndSaysWhichIsTheOldestHeld() {
        EventHistory history = new EventHistory(3, clock::get);
        for (int i = 1; i <= 5; i++) {
            clock.incrementAndGet();
            history.record(NodeEvent.Kind.ROLE, i, "event " + i);
        }
        EventHistory.Page all = history.since(0, 1_000);
        assertThat(all.events()).extracting(NodeEvent::text).containsExactly("event 3", "event 4", "event 5");
        assertThat(all.first()).isEqualTo(3);
        assertThat(all.last()).isEqualTo(5);
        assertThat(all.events()).extracting(NodeEvent::timeMillis).containsExactly(1_003L, 1_004L, 1_005L);
    }

    @Test
    void sinceReturnsOnlyLaterEventsUpToTheLimitOldestFirst() {
        EventHistory history = new EventHistory(10, clock::get);
        for (int i = 1; i <= 6; i++) {
            history.record(NodeEvent.Kind.LEADER, 1, "e" + i);
        }
        assertThat(history.since(2, 3).events()).extracting(NodeEvent::seq).containsExactly(3L, 4L, 5L);
        assertThat(history.since(6, 10).events()).isEmpty();
        assertThat(history.since(6, 10).last()).isEqualTo(6);
    }

    @Test
    void anEmptyHistoryHasNoEventsAndABootTime() {
        EventHistory history = new EventHistory(10, clock::get);
        assertThat(history.since(0, 10).events()).isEmpty();
        assertThat(history.since(0, 10).last()).isZero();
        assertThat(history.bootMillis()).isEqualTo(1_000);
    }

    @Test
    void aCapacityBelowOneIsRefused() {
        assertThatThrownBy(() -> new EventHistory(0, clock::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
