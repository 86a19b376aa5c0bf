(ns jepsen.raftkv.register-test
  "The convergence checker and the workload's generators, without a cluster."
  (:require [clojure.test :refer [deftest is testing use-fixtures]]
            [jepsen [checker :as checker]
                    [generator :as gen]
                    [history :as h]
                    [independent :as independent]
                    [store :as store]]
            [jepsen.generator.test :as gen.test]
            [jepsen.raftkv.register :as r]))

(def nodes ["n1" "n2" "n3"])

; The checkers write their files (results, timelines, linear.svg) under store/register-test.
(use-fixtures :once
  (fn [t]
    (try (t)
         (finally (store/delete-file-recursively! (java.io.File. store/base-dir "register-test"))))))

(defn final-read
  [node type value]
  [{:type :invoke, :f :final-read, :node node, :value nil, :process 0}
   {:type type, :f :final-read, :node node, :value value, :process 0}])

(defn history
  [& ops]
  (h/history (vec (apply concat ops)) {:dense-indices? true, :have-indices? false}))

(def writes
  [{:type :invoke, :f :write, :value (independent/tuple 0 1), :process 1}
   {:type :ok,     :f :write, :value (independent/tuple 0 1), :process 1}
   {:type :invoke, :f :cas,   :value (independent/tuple 1 [2 3]), :process 2}
   {:type :info,   :f :cas,   :value (independent/tuple 1 [2 3]), :process 2}])

(deftest converged
  (let [m {0 1, 1 3}
        res (r/check-convergence nodes (history writes
                                                (final-read "n1" :ok m)
                                                (final-read "n2" :ok m)
                                                (final-read "n3" :ok m)))]
    (is (true? (:valid? res)))
    (is (= ["n1" "n2" "n3"] (:nodes-read res)))
    (is (= [] (:unread-nodes res)))
    (is (= 2 (:final-map-size res)))))

(deftest diverged
  (let [res (r/check-convergence nodes (history writes
                                                (final-read "n1" :ok {0 1, 1 3})
                                                (final-read "n2" :ok {0 1})
                                                (final-read "n3" :ok {0 1, 1 3})))]
    (is (false? (:valid? res)))
    (is (= {"n2" {1 [3 :jepsen.raftkv.register/absent]}} (:divergent res)))
    (is (= "n1" (:reference-node res)))))

(deftest unread-node
  (testing "a node whose final reads all failed makes the check fail"
    (let [res (r/check-convergence nodes (history writes
                                                  (final-read "n1" :ok {0 1})
                                                  (final-read "n2" :fail nil)
                                                  (final-read "n3" :ok {0 1})))]
      (is (false? (:valid? res)))
      (is (= ["n2"] (:unread-nodes res)))))
  (testing "no node answered at all"
    (let [res (r/check-convergence nodes (history writes))]
      (is (false? (:valid? res)))
      (is (= ["n1" "n2" "n3"] (:unread-nodes res)))
      (is (:error res)))))

(deftest unexpected-value
  (testing "every node agrees, but on a value nobody ever wrote"
    (let [m {0 4}
          res (r/check-convergence nodes (history writes
                                                  (final-read "n1" :ok m)
                                                  (final-read "n2" :ok m)
                                                  (final-read "n3" :ok m)))]
      (is (false? (:valid? res)))
      (is (= {0 4} (:unexpected-values res))))))

(deftest written-values
  (is (= {0 #{1}, 1 #{3}} (r/written-values (history writes)))))

(deftest final-generator
  (testing "one final read through each current member"
    (let [ops ((:ops-fn (r/final-generator {})) nodes)]
      (is (= (set nodes) (set (map :node ops))))
      (is (every? #(= :final-read (:f %)) ops))
      (is (= 3 (count ops))))))

(deftest workload-generator
  (testing "keys are independent registers, each with a bounded number of ops"
    (let [ops (->> (r/generator {:threads-per-key 2, :ops-per-key 10})
                   (gen/limit 40)
                   gen.test/perfect)
          by-key (group-by (comp key :value) ops)]
      (is (= 40 (count ops)))
      (is (every? #(<= (count %) 10) (vals by-key)))
      (is (= #{:read :write :cas} (set (map :f ops))))
      (is (every? independent/tuple? (map :value ops))))))

(deftest knossos-filter
  (testing "the linearizability checker never sees final reads"
    (is (r/register-op? {:f :read}))
    (is (r/register-op? {:f :start-partition, :process :nemesis}))
    (is (not (r/register-op? {:f :final-read, :process 3})))
    (is (not (r/client-register-op? {:f :start-partition, :process :nemesis})))))

(deftest workload-checker
  (testing "a linearizable history with converged final reads is valid"
    (let [ops (history [{:type :invoke, :f :write, :value (independent/tuple 0 1), :process 0}
                        {:type :ok,     :f :write, :value (independent/tuple 0 1), :process 0}
                        {:type :invoke, :f :read,  :value (independent/tuple 0 nil), :process 1}
                        {:type :ok,     :f :read,  :value (independent/tuple 0 1), :process 1}]
                       (final-read "n1" :ok {0 1})
                       (final-read "n2" :ok {0 1})
                       (final-read "n3" :ok {0 1}))
          test {:nodes nodes, :name "register-test", :start-time 0}
          res (checker/check (:checker (r/workload {:algorithm :linear
                                                   :nodes nodes
                                                   :threads-per-key 2
                                                   :ops-per-key 10}))
                             test ops {})]
      (is (true? (:valid? (:convergence res))))
      (is (true? (get-in res [:linear :results 0 :linear :valid?])))))
  (testing "a stale read is caught by Knossos"
    (let [ops (history [{:type :invoke, :f :write, :value (independent/tuple 0 1), :process 0}
                        {:type :ok,     :f :write, :value (independent/tuple 0 1), :process 0}
                        {:type :invoke, :f :read,  :value (independent/tuple 0 nil), :process 1}
                        {:type :ok,     :f :read,  :value (independent/tuple 0 :absent), :process 1}])
          res (checker/check (r/filter-checker
                               r/client-register-op?
                               (independent/checker
                                 (checker/linearizable {:model (knossos.model/cas-register :absent)
                                                        :algorithm :linear})))
                             {:nodes nodes, :name "register-test", :start-time 0}
                             ops {})]
      (is (false? (:valid? res))))))
