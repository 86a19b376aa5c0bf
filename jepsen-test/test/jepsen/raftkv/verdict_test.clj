(ns jepsen.raftkv.verdict-test
  "The verdict box: the expected verdict per bug switch, workload and faults; agreement and the
  exit status; the failing keys; the box's lines."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is are testing]]
            [jepsen.raftkv.verdict :as v]))

(deftest expected-verdict
  (are [opts expect] (= expect (:expect (v/expected opts)))
    {:workload :register, :nemesis #{}, :bug nil}                          :valid
    {:workload :register, :nemesis #{:partition}, :bug nil}                :valid
    {:workload :register, :nemesis #{}, :bug "stale-read"}                 :invalid
    {:workload :register, :nemesis #{:partition}, :bug "stale-read"}       :invalid
    {:workload :set, :nemesis #{:partition}, :bug "stale-read"}            :either
    {:workload :set, :nemesis #{:partition}, :bug "ack-before-commit"}     :invalid
    {:workload :register, :nemesis #{:kill}, :bug "ack-before-commit"}     :either
    {:workload :register, :nemesis #{:partition}, :bug "forget-vote"}      :either))

(deftest agreement-and-exit-status
  (testing "the expected verdict exits 0"
    (is (= {:agree? true, :exit 0, :line "PASS: the checker caught the bug"} (v/judge :invalid false)))
    (is (= 0 (:exit (v/judge :valid true))))
    (is (= 0 (:exit (v/judge :either true))))
    (is (= 0 (:exit (v/judge :either false)))))
  (testing "a wrong verdict exits 1, no verdict 2, a crash 255"
    (is (= [false 1] ((juxt :agree? :exit) (v/judge :invalid true))))
    (is (= [false 1] ((juxt :agree? :exit) (v/judge :valid false))))
    (is (= 2 (:exit (v/judge :valid :unknown))))
    (is (= 255 (:exit (v/judge :valid nil))))))

(def invalid-results
  {:valid?   false
   :stats    {:count 2317, :ok-count 1411, :fail-count 900, :info-count 6}
   :workload {:valid?      false
              :linear      {:valid? false, :failures [4 0 6]}
              :convergence {:valid? false, :reference-node "n1", :divergent {"n3" {7 [1 2]}}}}})

(deftest failing-keys
  (is (= ["Knossos: no linearizable order for keys 0, 4, 6" "convergence: n3 differ from n1 on key 7"]
         (v/failures invalid-results)))
  (is (= ["set-full: 37 acknowledged adds lost"]
         (v/failures {:workload {:set {:valid? false, :lost-count 37}}})))
  (is (empty? (v/failures {:valid? true, :workload {:linear {:valid? true, :failures []}}}))))

(deftest the-box
  (let [{:keys [lines exit]} (v/box {:workload :register, :nemesis #{:partition}, :nemesis-name "partition"
                                     :bug "stale-read", :results invalid-results
                                     :store "jepsen-test/store/raftkv-x/1", :report-url "http://127.0.0.1:8088/files/raftkv-x/1/"})
        text (str/join "\n" lines)]
    (is (= 0 exit))
    (is (every? #(<= (count %) 102) lines) "long rows wrap")
    (let [{:keys [lines]} (v/box {:workload :register, :nemesis #{}, :nemesis-name "none", :bug nil
                                  :results {:valid? true}
                                  :report-url (str "http://127.0.0.1:8088/files/" (apply str (repeat 100 "x")) "/")})]
      (is (some #(str/starts-with? % "  report      http://127.0.0.1:8088/files/xxx") lines)
          "a long URL stays on its row, unbroken"))
    (are [s] (str/includes? text s)
      "workload    register" "nemesis     partition" "bug switch  stale-read"
      "2317 completed: 1411 ok, 900 fail, 6 info" "verdict     INVALID" "expected    invalid (the register workload catches stale-read:"
      "PASS: the checker caught the bug" "failing     Knossos: no linearizable order for keys 0, 4, 6"
      "store       jepsen-test/store/raftkv-x/1" "report      http://127.0.0.1:8088/files/raftkv-x/1/" "make explain"))
  (let [{:keys [lines exit]} (v/box {:workload :register, :nemesis #{}, :nemesis-name "none", :bug nil
                                     :results {:valid? true, :stats {:count 10, :ok-count 10}}})
        text (str/join "\n" lines)]
    (is (= 0 exit))
    (is (str/includes? text "bug switch  none"))
    (is (str/includes? text "failing     nothing"))
    (is (not (str/includes? text "make explain")))))

(deftest the-box-counts-membership-changes
  (testing "with the member nemesis, a membership row with the committed changes"
    (let [{:keys [lines]} (v/box {:workload :register, :nemesis #{:member}, :nemesis-name "member"
                                  :results {:valid? true}
                                  :membership {:changes 7, :grown 2, :shrunk 3, :attempts 5}})]
      (is (some #(re-find #"membership\s+7 changes committed \(2 grown to voter, 3 removed; 5 attempts\)" %)
                lines))))
  (testing "without it, no such row"
    (let [{:keys [lines]} (v/box {:workload :register, :nemesis #{}, :nemesis-name "none"
                                  :results {:valid? true}})]
      (is (not-any? #(str/includes? % "membership") lines)))))
