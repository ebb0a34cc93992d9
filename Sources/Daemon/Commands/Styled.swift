import ArgumentParser

public struct Styled: ParsableCommand {
    public init() {}

    static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "styled",
        abstract: "Neural style transfer (Gatys, Ecker & Bethge) as a batch service.",
        version: version,
        subcommands: [DaemonCommand.self, SubmitCommand.self, StatusCommand.self, RunCommand.self, ModelCommand.self, BenchCommand.self, DecodeBenchCommand.self, DecodeCommand.self, WorkCommand.self]
    )
}
