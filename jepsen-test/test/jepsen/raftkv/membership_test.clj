(ns jepsen.raftkv.membership-test
  "The member nemesis' pure decisions: which node to add or remove given a membership, never
  below three voters; and what a history says about the changes and the final members."
  (:require [clojure.test :refer [deftest is testing]]
            [jepsen.raftkv [db :as db]
                           [membership :as m]
                           [nemesis :as nemesis]]))

(def nodes ["n1" "n2" "n3" "n4" "n5"])

(defn view [voters & [learners]] {:voters (vec voters), :learners (vec (or learners []))})

(deftest five-voters-can-only-shrink
  (is (= [] (m/addable nodes (view nodes))))
  (is (= nodes (m/removable (view nodes))))
  (is (= #{:shrink} (set (map :action (m/choices nodes (view nodes)))))))

(deftest never-below-three-voters
  (testing "three voters: no voter may be removed, the leader neither"
    (is (= [] (m/removable (view ["n1" "n2" "n3"]))))
    (is (every? #(= :grow (:action %)) (m/choices nodes (view ["n1" "n2" "n3"])))))
  (testing "four voters: any of them may go, down to three"
    (is (= ["n1" "n2" "n4" "n5"] (m/removable (view ["n5" "n2" "n4" "n1"])))))
  (testing "a random walk of decisions never leaves fewer than three voters"
    (loop [v (view nodes), i 0]
      (when (< i 2000)
        (let [c (m/decide nodes v rand-nth rand-nth)
              v' (m/after-change v c)]
          (is (<= m/min-voters (count (:voters v'))) [v c])
          (is (<= (count (:voters v')) (count nodes)))
          (recur v' (inc i)))))))

(deftest grows-only-non-members
  (testing "a learner is a member: never added again"
    (is (= ["n5"] (m/addable nodes (view ["n1" "n2" "n3"] ["n4"])))))
  (is (= ["n4" "n5"] (m/addable nodes (view ["n1" "n2" "n3"]))))
  (is (= {:action :grow, :node "n4"} (m/decide nodes (view ["n1" "n2" "n3"]) first first))))

(deftest a-learner-left-over-is-settled-first
  (is (= [{:action :settle, :node "n4"}] (m/choices nodes (view ["n1" "n2" "n3" "n5"] ["n4"]))))
  (is (= {:action :settle, :node "n4"} (m/decide nodes (view ["n1" "n2" "n3" "n5"] ["n4"]) last last))))

(deftest nothing-to-do-without-a-view
  (is (= {:action :none} (m/decide nodes nil rand-nth rand-nth))))

(deftest picks-kind-then-node
  (let [v (view ["n1" "n2" "n3" "n4"])]
    (is (= {:action :grow, :node "n5"} (m/decide nodes v first first)))
    (is (= {:action :shrink, :node "n4"} (m/decide nodes v last last)))))

(defn member-op
  [type value]
  {:process :nemesis, :type type, :f :member, :value value})

(deftest changes-and-final-members-from-the-history
  (let [history [(member-op :info :change)
                 (member-op :info {:action :shrink, :node "n2", :outcome :removed, :changes [:remove]})
                 {:process 0, :type :ok, :f :write, :value [1 2]}
                 (member-op :info {:action :grow, :node "n2", :outcome :voter, :changes [:add-learner :promote]})
                 (member-op :info {:action :shrink, :node "n3", :outcome :not-removed, :changes []})
                 (member-op :info {:action :shrink, :node "n5", :outcome :removed, :changes [:remove]})
                 (member-op :info {:action :final, :outcome :read, :changes []
                                   :voters ["n1" "n2" "n3" "n4"], :learners []})]]
    (is (= 4 (m/change-count history)))
    (is (= {:changes 4, :grown 1, :shrunk 2, :attempts 4} (m/change-summary history)))
    (is (= ["n1" "n2" "n3" "n4"] (m/final-members nodes history))))
  (testing "no member nemesis: every node of the test"
    (is (= nodes (m/final-members nodes [{:process 0, :type :ok, :f :read}])))))

(deftest member-nodes-leave-out-removed-ones
  (let [test {:nodes nodes, :db (db/->DB (atom {"n2" :out, "n4" {:join "n1"}}))}]
    (is (= ["n1" "n3" "n4" "n5"] (db/member-nodes test)))))

(deftest joined-nodes-restart-with-join
  (let [args (db/node-args {:nodes nodes} "n4" {:join "n1"})]
    (is (some #{"--join"} args))
    (is (some #{"http://n1:8080"} args))
    (is (not (some #{"--peers"} args))))
  (is (some #{"--peers"} (db/node-args {:nodes nodes} "n1"))))

(deftest member-in-the-nemesis-spec
  (is (= #{:member :partition :kill} (nemesis/parse-nemesis-spec "member,partition,kill")))
  (is (contains? (nemesis/parse-nemesis-spec "mixed") :member))
  (testing "a membership change is one op after a gap, with nothing to heal"
    (let [xs (take 20 (nemesis/schedule (nemesis/menu #{:member} :minority) 10))]
      (is (= #{:member} (set (keep :f (filter #(= :info (:type %)) xs)))))
      (is (= (count (filter #(= :sleep (:type %)) xs)) (count (filter #(= :info (:type %)) xs)))))))
