(ns jepsen.raftkv.progress-test
  "The progress line: elapsed time, phase, counts and the nemesis' state."
  (:require [clojure.test :refer [deftest is]]
            [jepsen.raftkv.progress :as p]))

(def s0 (* 1000 1000000000))
(defn at [secs] (+ s0 (long (* secs 1e9))))

(deftest lines
  (is (= "[jepsen   12 s] setup: raftkv answers on 3 of 5 nodes (uploading the jar, starting the JVMs, waiting for GET /status)"
         (p/line (assoc p/initial :t0 s0, :phase :setup, :ready #{"n1" "n2" "n3"}, :nodes ["n1" "n2" "n3" "n4" "n5"])
                 (at 12))))
  (is (= "[jepsen   40 s] workload 15/30 s: 812 ops (ok 500, fail 300, info 2) | nemesis: partition {n1 n2} | {n3 n4 n5} for 3 s"
         (p/line (assoc p/initial :t0 s0, :phase :workload, :workload-t0 (at 25), :time-limit 30
                        :invoked 812, :ok 500, :fail 300, :info 2
                        :nemesis {:f :start-partition, :at (at 37)
                                  :value [:isolated {"n1" #{"n3" "n4" "n5"}, "n2" #{"n3" "n4" "n5"}
                                                     "n3" #{"n1" "n2"}, "n4" #{"n1" "n2"}, "n5" #{"n1" "n2"}}]})
                 (at 40))))
  (is (= "[jepsen   70 s] healing, then the quiet period; 10 ops (ok 10, fail 0, info 0) | nemesis: healed for 2 s"
         (p/line (assoc p/initial :t0 s0, :phase :workload, :workload-t0 (at 25), :time-limit 30
                        :invoked 10, :ok 10, :nemesis {:f :stop-partition, :at (at 68)})
                 (at 70)))))

(deftest ring-partitions-are-named-by-who-is-cut-from-whom
  (is (= "n1 cut from n2; n2 cut from n1"
         (p/partition-text {"n1" #{"n2"}, "n2" #{"n1"}, "n3" #{}})))
  (is (= "{n2} | {n1 n3}" (p/partition-text {"n1" #{"n2"}, "n2" #{"n1" "n3"}, "n3" #{"n2"}}))))

(deftest no-faults-at-all
  (is (= "[jepsen   30 s] workload 5/30 s: 0 ops (ok 0, fail 0, info 0) | nemesis: none in this run"
         (p/line (assoc p/initial :t0 s0, :phase :workload, :workload-t0 (at 25), :time-limit 30, :faults #{})
                 (at 30)))))
