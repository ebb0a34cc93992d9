import Dispatch
import Glibc

/// Runs `handler` on a Dispatch queue whenever signal `number` arrives, in place of the
/// signal's default action: there, unlike in a signal handler, anything may be done. The
/// handling lasts as long as the returned source is kept.
func handleSignal(_ number: Int32, _ handler: @escaping @Sendable () -> Void) -> DispatchSourceSignal {
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler(handler: handler)
    source.resume()
    return source
}
