package raftkv.server.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TimelineTest {

    private final AtomicLong clock = new AtomicLong(100_000); // ms: second 100

    @Test
    void countsWritesPerSecondWithTheirMeanAndLargestLatency() {
        Timeline timeline = new Timeline(60, clock::get);
        timeline.observe(3, 10);
        timeline.writeAnswered(2_000_000);
        timeline.writeAnswered(6_000_000);
        clock.addAndGet(1_000);
        timeline.observe(3, 12);
        assertThat(timeline.samples()).containsExactly(
                new Timeline.Sample(100, 3, 10, 2, 4.0, 6.0),
                new Timeline.Sample(101, 3, 12, 0, 0, 0));
    }

    @Test
    void keepsOnlyTheLastSecondsAndReusesTheirBuckets() {
        Timeline timeline = new Timeline(5, clock::get);
        for (int i = 0; i < 12; i++) {
            timeline.observe(i, i);
            clock.addAndGet(1_000);
        }
        clock.addAndGet(-1_000);
        assertThat(timeline.samples()).extracting(Timeline.Sample::second).containsExactly(107L, 108L, 109L, 110L, 111L);
    }

    @Test
    void aSecondWithOnlyWritesCarriesTheLastTermAndCommitIndex() {
        Timeline timeline = new Timeline(10, clock::get);
        timeline.observe(7, 40);
        clock.addAndGet(1_000);
        timeline.writeAnswered(1_000_000);
        assertThat(timeline.samples().get(1)).isEqualTo(new Timeline.Sample(101, 7, 40, 1, 1.0, 1.0));
    }
}
