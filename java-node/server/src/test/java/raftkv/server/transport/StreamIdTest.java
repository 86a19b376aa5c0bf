package raftkv.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import raftkv.server.transport.StreamId;

/** Stream ids order by incarnation (boot count first), then by counter. */
class StreamIdTest {

    @Test
    void aLaterBootIsALaterIncarnationWhateverItsRandomHalf() {
        long first = StreamId.incarnation(1, -1); // the largest random half
        long second = StreamId.incarnation(2, 0);

        assertThat(new StreamId(second, 1).newerThan(new StreamId(first, 99))).isTrue();
        assertThat(new StreamId(first, 99).newerThan(new StreamId(second, 1))).isFalse();
        assertThat(new StreamId(first, 99).earlierIncarnationThan(new StreamId(second, 1))).isTrue();
    }

    @Test
    void withinOneIncarnationOnlyAHigherCounterIsNewer() {
        long incarnation = StreamId.incarnation(3, 12345);

        assertThat(new StreamId(incarnation, 2).newerThan(new StreamId(incarnation, 1))).isTrue();
        assertThat(new StreamId(incarnation, 1).newerThan(new StreamId(incarnation, 1))).isFalse();
        assertThat(new StreamId(incarnation, 1).earlierIncarnationThan(new StreamId(incarnation, 2))).isFalse();
    }

    @Test
    void twoProcessesClaimingTheSameBootCountAreDifferentIncarnations() {
        assertThat(StreamId.incarnation(1, 7)).isNotEqualTo(StreamId.incarnation(1, 8));
    }

    @Test
    void theHeaderRoundTrips() {
        StreamId id = new StreamId(StreamId.incarnation(4, -5), 6);
        assertThat(StreamId.parse(id.toString())).isEqualTo(id);
    }
}
