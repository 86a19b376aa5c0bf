package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/** The state map with a frozen view out (background snapshots, §5.1 / §5.4 of the dissertation). */
class LayeredMapRulesTest {

    @Test
    void putAnswersThePreviousNameOrNullWithOrWithoutAFrozenView() {
        LayeredMap map = new LayeredMap();
        assertThat(map.put("a", "1")).isNull();
        assertThat(map.put("a", "2")).isEqualTo("1");
        map.freeze();
        assertThat(map.put("a", "3")).isEqualTo("2");
        assertThat(map.put("b", "1")).isNull();
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void removingAnAbsentIdWhileFrozenChangesNothing() {
        LayeredMap map = new LayeredMap();
        map.put("a", "1");
        SortedMap<String, String> view = map.freeze();
        assertThat(map.remove("zz")).isNull();
        assertThat(map.size()).isEqualTo(1);
        assertThat(map.remove("a")).isEqualTo("1");
        assertThat(map.size()).isZero();
        assertThat(view).containsEntry("a", "1");
    }

    @Test
    void aMapIsFrozenExactlyFromFreezeToThaw() {
        LayeredMap map = new LayeredMap();
        assertThat(map.isFrozen()).isFalse();
        map.freeze();
        assertThat(map.isFrozen()).isTrue();
        map.thaw();
        assertThat(map.isFrozen()).isFalse();
    }

    @Test
    void aMergedIterationEndsLikeAnyIterator() {
        LayeredMap map = new LayeredMap();
        map.put("a", "1");
        map.freeze();
        map.put("b", "2");
        Iterator<Map.Entry<String, String>> it = map.entriesAfter(null);
        assertThat(it.next()).isEqualTo(Map.entry("a", "1"));
        assertThat(it.next()).isEqualTo(Map.entry("b", "2"));
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }
}
