(ns jepsen.raftkv.explain-test
  "explain on small hand-made invalid histories: the sentence it derives, the writes it lists,
  the faults in force, and that the SVG says the same without hovering."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [jepsen.raftkv [explain :as e]
                           [svg :as svg]
                           [why :as w]]))

(defn op [index t-ms type process f value]
  {:index index, :time (* 1000000 t-ms), :type type, :process process, :f f, :value value})

(def stale-read-history
  "Key 0: process 7 writes 1, process 5 overwrites it with 4 (done at 2.01 s), then process 3
  reads 1 at 2.16 s. A nemesis partition started at 1.5 s. Key 1 is noise."
  [(op 0 100 :invoke 7 :write [0 1])
   (op 1 150 :ok 7 :write [0 1])
   (op 2 1400 :invoke :nemesis :start-partition :majority)
   (op 3 1500 :info :nemesis :start-partition [:isolated {"n1" #{"n2" "n3"}, "n2" #{"n1"}, "n3" #{"n1"}}])
   (op 4 1950 :invoke 5 :write [0 4])
   (op 5 1960 :invoke 9 :write [1 2])
   (op 6 2010 :ok 5 :write [0 4])
   (op 7 2100 :invoke 8 :cas [0 [3 2]])
   (op 8 2140 :fail 8 :cas [0 [3 2]])
   (op 9 2160 :invoke 3 :read [0 nil])
   (op 10 2180 :ok 3 :read [0 1])
   (op 11 2200 :ok 9 :write [1 2])])

(def knossos-result
  {:valid? false
   :op          {:index 10, :time 2180000000, :type :ok, :process 3, :f :read, :value 1}
   :previous-ok {:index 6, :time 2010000000, :type :ok, :process 5, :f :write, :value 4}})

(def nodes ["n1" "n2" "n3"])
(defn node-of [p] (nth nodes (mod p 3)))

(defn nemesis-ops [history]
  (->> history (filter #(= :nemesis (:process %))) (partition 2) (map second)))

(deftest a-stale-read-in-words
  (let [ps (w/pairs (w/key-ops stale-read-history 0))
        a  (e/analyse-key 0 ps knossos-result (nemesis-ops stale-read-history) node-of)]
    (is (= (str "process 3 read 1 in a request sent at 2.160 s, but every write of 1 had been overwritten"
                " by process 5's write of 4, completed at 2.010 s, and no write of 1 was in flight")
           (:sentence a)))
    (is (= 3 (:process (:failing a))))
    (is (= 5 (:process (:previous-ok a))) "the last consistent point")
    (is (= [7 5] (map :process (:before a))) "the writes completed before it, not the failed cas")
    (is (empty? (:concurrent a)))
    (is (= "n1" (:node a)))
    (is (= "partition {n1} | {n2 n3} (since 1.500 s)" (:nemesis a)))
    (is (= [(str "process 3's read 1 (ok at 2.180 s) was sent while n1 was cut off from the majority"
                 " (partition {n1} | {n2 n3}): a node without a majority can neither commit a write nor"
                 " confirm a read, so that ok should not have been given")]
           (:hints a))
        "process 3 talks to n1, alone on its side")
    (testing "the narrative and the picture carry the sentence"
      (let [text (str/join "\n" (e/narrative a node-of ["12:00:01.000 INFO EventLoop - term 2: follower"] "k0.svg"))
            pic  (svg/render a ps (nemesis-ops stale-read-history) node-of)]
        (is (str/includes? text "process 3    read 1         invoked 2.160 s   ok at     2.180 s, via n1"))
        (is (str/includes? text "Faults at that moment: partition {n1} | {n2 n3}"))
        (is (str/includes? pic "every write of 1 had been"))
        (is (str/includes? pic "r 1"))
        (is (str/includes? pic "cas 3→2 ✗"))
        (is (str/includes? pic "partition {n1} | {n2 n3}"))))))

(deftest a-write-in-flight-is-not-called-an-overwrite
  (let [h  [(op 0 100 :invoke 7 :write [0 1])
            (op 1 150 :info 7 :write [0 1])          ; outcome unknown: may land any time later
            (op 2 200 :invoke 5 :write [0 4])
            (op 3 300 :ok 5 :write [0 4])
            (op 4 400 :invoke 3 :read [0 nil])
            (op 5 450 :ok 3 :read [0 1])]
        ps (w/pairs (w/key-ops h 0))
        s  (w/why-impossible ps (last ps) :absent nil)]
    (is (str/includes? s "a write of 1 was in flight then (process 7"))
    (is (not (str/includes? s "overwritten")))))

(deftest reading-absent-after-a-write
  (let [h  [(op 0 100 :invoke 1 :write [0 2])
            (op 1 200 :ok 1 :write [0 2])
            (op 2 300 :invoke 2 :read [0 nil])
            (op 3 350 :ok 2 :read [0 :absent])]
        ps (w/pairs (w/key-ops h 0))]
    (is (= (str "process 2 read nothing (the key absent) in a request sent at 0.300 s, but process 1's"
                " write of 2 had completed at 0.200 s, and nothing deletes a key")
           (w/why-impossible ps (last ps) :absent nil)))))

(deftest never-written
  (let [h  [(op 0 100 :invoke 1 :write [0 2])
            (op 1 200 :ok 1 :write [0 2])
            (op 2 300 :invoke 2 :read [0 nil])
            (op 3 350 :ok 2 :read [0 3])]
        ps (w/pairs (w/key-ops h 0))]
    (is (= "process 2 read 3 in a request sent at 0.300 s, but no operation had tried to write 3 to this key by then"
           (w/why-impossible ps (last ps) :absent nil)))))

(deftest a-cas-undoes-the-only-write
  (let [h  [(op 0 6018 :invoke 3 :write [2 4])
            (op 1 6122 :invoke 4 :cas [2 [4 2]])
            (op 2 6297 :ok 3 :write [2 4])
            (op 3 6297 :ok 4 :cas [2 [4 2]])
            (op 4 6323 :invoke 1 :read [2 nil])
            (op 5 6346 :ok 1 :read [2 4])]
        ps (w/pairs (w/key-ops h 2))]
    (is (= (str "process 1 read 4 in a request sent at 6.323 s, but the only write of 4 (process 3's write"
                " of 4, completed at 6.297 s) was undone by process 4's cas 4->2, completed at 6.297 s,"
                " and no write of 4 was in flight")
           (w/why-impossible ps (last ps) :absent nil)))))

(deftest diverged-nodes-in-words
  (let [h     [(op 0 100 :invoke 2 :write [7 1])
               (op 1 200 :ok 2 :write [7 1])
               (op 2 300 :invoke 4 :write [7 2])
               (op 3 400 :ok 4 :write [7 2])]
        conv  {:valid? false, :reference-node "n1"
               :divergent {"n3" {7 [1 2], 8 [3 :jepsen.raftkv.register/absent]}}}
        lines (e/convergence-lines conv h [] node-of)]
    (is (some #{(str "  key 7: n1 holds 1 [last acknowledged: process 2's write of 1 via n3, ok at 0.200 s;"
                     " faults then: no fault yet]; n3 holds 2 [last acknowledged: process 4's write of 2 via"
                     " n2, ok at 0.400 s; faults then: no fault yet]")}
              lines))
    (is (some #{"  key 8: n1 holds 3 [no acknowledged write of it]; n3 holds no value (the key is missing)"} lines))))

(deftest a-follower-that-answered-a-read
  (is (str/starts-with?
        (e/role-note {:f :read} "n1" ["12:00:01.000 INFO  [raft-loop-n1] EventLoop - term 2: follower (leader n2, commit 1, log 1)"])
        "n1 was a follower in term 2 (leader n2) when it answered. Either it answered from its own state without first learning"))
  (is (nil? (e/role-note {:f :write} "n1" ["12:00:01.000 INFO  [raft-loop-n1] EventLoop - term 2: follower (leader n2, commit 1, log 1)"])))
  (is (nil? (e/role-note {:f :read} "n1" ["12:00:01.000 INFO  [raft-loop-n1] EventLoop - term 2: leader (leader n1, commit 1, log 1)"]))))
