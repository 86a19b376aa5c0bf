package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.entry;

import org.junit.jupiter.api.Test;

/** The log itself (Figure 2: "first index is 1"), the §5.4.1 comparison and the backtracking hints. */
class RaftLogTest {

    @Test
    void indexZeroHasTermZeroAndMissingEntriesHaveNone_Figure2() {
        RaftLog log = new RaftLog(0, 0, entries(1, 2));
        assertThat(log.termAt(0)).isZero();
        assertThat(log.termAt(-1)).isEqualTo(-1);
        assertThat(log.termAt(2)).isEqualTo(2);
        assertThat(log.termAt(3)).isEqualTo(-1);
    }

    @Test
    void sliceFromAfterToIsEmpty() {
        RaftLog log = new RaftLog(0, 0, entries(1, 1, 1));
        assertThat(log.slice(3, 1)).isEmpty();
        assertThat(log.slice(2, 3)).containsExactly(entry(1, 2), entry(1, 3));
    }

    @Test
    void entriesAreAppendedWithoutGaps_5_3() {
        RaftLog log = new RaftLog(0, 0, entries(1));
        assertThatThrownBy(() -> log.append(entry(1, 3))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> log.append(entry(1, 1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void termsNeverDecreaseAlongTheLog_5_3() {
        RaftLog log = new RaftLog(0, 0, entries(1, 3));
        assertThatThrownBy(() -> log.append(entry(2, 3))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void lastIndexOfTermFindsTheLastEntryOfThatTerm_5_3() {
        RaftLog log = new RaftLog(0, 0, entries(1, 1, 2, 2, 4));
        assertThat(log.lastIndexOfTerm(1)).isEqualTo(2);
        assertThat(log.lastIndexOfTerm(2)).isEqualTo(4);
        assertThat(log.lastIndexOfTerm(4)).isEqualTo(5);
        assertThat(log.lastIndexOfTerm(3)).isZero();
        assertThat(log.lastIndexOfTerm(5)).isZero();
        assertThat(new RaftLog(0, 0, entries(1)).lastIndexOfTerm(1)).isEqualTo(1);
    }

    @Test
    void firstIndexOfTermWalksBackOverThatTerm_5_3() {
        RaftLog log = new RaftLog(0, 0, entries(1, 2, 2, 2, 3));
        assertThat(log.firstIndexOfTerm(2, 4)).isEqualTo(2);
        assertThat(log.firstIndexOfTerm(1, 1)).isEqualTo(1);
    }

    @Test
    void laterLastTermIsMoreUpToDateWhateverTheLength_5_4_1() {
        RaftLog log = new RaftLog(0, 0, entries(1, 1, 2));
        assertThat(log.isUpToDate(1, 3)).isTrue();
        assertThat(log.isUpToDate(9, 1)).isFalse();
        assertThat(log.isUpToDate(3, 2)).as("equal logs").isTrue();
        assertThat(log.isUpToDate(2, 2)).isFalse();
    }
}
