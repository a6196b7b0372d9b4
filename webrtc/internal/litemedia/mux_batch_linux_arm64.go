package litemedia

const sysRecvmmsg = 243
