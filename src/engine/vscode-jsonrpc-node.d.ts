// vscode-jsonrpc publishes its Node entry only through package "exports" ("vscode-jsonrpc/node"),
// which this project's moduleResolution ("node") does not read; esbuild and tsx do. This points
// the type checker at the same file.
declare module 'vscode-jsonrpc/node' {
  export * from 'vscode-jsonrpc/lib/node/main';
}
