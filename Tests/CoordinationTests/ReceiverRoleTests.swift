import Foundation
import Testing

@testable import Coordination

/// The receiving role on its own (`ReceiverRole`): what it keeps of forwarded requests, and when it
/// answers the client.
@Suite struct ReceiverRoleTests {
    static func submission(_ client: UInt64, id: String) -> ReceiverRole.Submission {
        ReceiverRole.Submission(
            clientID: client, id: id, request: Data("r".utf8), idempotencyKey: "k\(client)", tenant: nil, title: nil)
    }

    static func answers(_ actions: [ReceiverRole.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .answerSubmit(let client, let answer): "submit \(client): \(answer)"
            case .answerCancel(let client, let answer): "cancel \(client): \(answer)"
            case .send(let message, let node): "send \(message) to \(node)"
            }
        }
    }

    @Test func theOwnersAnswerGoesToTheClientOnceAndAStrayAnswerIsDropped() {
        var receiver = ReceiverRole()
        let sent = receiver.forward(
            Self.submission(7, id: "x"), as: 1, to: "b", createdAt: Date(timeIntervalSince1970: 0),
            deadline: .seconds(5))
        guard case .send(.submit(let requestID, let id, _, let key, _, _, _), "b") = sent.first, sent.count == 1 else {
            Issue.record("expected one submit to b, got \(Self.answers(sent))")
            return
        }
        #expect(requestID == 1 && id == "x" && key == "k7")
        let answered = receiver.submitAnswered(1, .accepted(id: "x", existing: false))
        #expect(Self.answers(answered) == ["submit 7: accepted(id: \"x\", existing: false)"])
        #expect(receiver.submitAnswered(1, .accepted(id: "x", existing: false)).isEmpty)
        #expect(receiver.forwarded.isEmpty)
    }

    @Test func requestsPastTheirDeadlineOrWhoseOwnerIsGoneAreAnsweredUnavailable() {
        var receiver = ReceiverRole()
        _ = receiver.forward(
            Self.submission(1, id: "x"), as: 1, to: "b", createdAt: Date(timeIntervalSince1970: 0),
            deadline: .seconds(5))
        _ = receiver.forwardCancel(clientID: 2, id: "y", as: 2, to: "c", deadline: .seconds(9))
        _ = receiver.forwardCancel(clientID: 3, id: "z", as: 3, to: "b", deadline: .seconds(9))
        #expect(receiver.expire(at: .seconds(4), isAlive: { _ in true }).isEmpty)
        #expect(
            Self.answers(receiver.expire(at: .seconds(5), isAlive: { $0 != "c" })) == [
                "submit 1: unavailable(\"owner b did not answer\")",
                "cancel 2: unavailable(\"owner c did not answer\")",
            ])
        #expect(receiver.forwarded.keys.sorted() == [3])
    }

    @Test func submissionsToALostOwnerComeBackToBePlacedAgainButCancellationsWait() {
        var receiver = ReceiverRole()
        let epoch = Date(timeIntervalSince1970: 0)
        _ = receiver.forward(Self.submission(1, id: "x"), as: 1, to: "b", createdAt: epoch, deadline: .seconds(5))
        _ = receiver.forwardCancel(clientID: 2, id: "y", as: 2, to: "b", deadline: .seconds(5))
        _ = receiver.forward(Self.submission(3, id: "z"), as: 3, to: "c", createdAt: epoch, deadline: .seconds(5))
        _ = receiver.forward(Self.submission(4, id: "w"), as: 4, to: "b", createdAt: epoch, deadline: .seconds(5))
        let again = receiver.ownerLost("b")
        #expect(again.map(\.id) == ["x", "w"])
        #expect(again.map(\.idempotencyKey) == ["k1", "k4"])
        #expect(receiver.forwarded.keys.sorted() == [2, 3])
    }
}
