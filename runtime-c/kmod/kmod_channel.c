// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Output channels: byte rings that the loader reads through procfs
 * (/proc/MODULE/out for the script's output, /proc/MODULE/err for error
 * lines). Probe handlers never wake the reader (a wakeup from inside the
 * scheduler or an interrupt can deadlock); the reader polls every 100 ms
 * and session probes, which run in a worker, wake it. A full ring drops
 * what does not fit and counts it, except in the worker, which waits for
 * the reader so that end probes can print any amount.
 */
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "kmod_rt.h"

int tap_channel_init(struct tap_channel *ch, size_t size)
{
	spin_lock_init(&ch->lock);
	init_waitqueue_head(&ch->readable);
	init_waitqueue_head(&ch->writable);
	atomic64_set(&ch->lost, 0);
	ch->size = size;
	ch->head = ch->tail = 0;
	ch->reader_gone = true;	/* until the loader opens it */
	ch->data = vmalloc(size);
	return ch->data ? 0 : -ENOMEM;
}

void tap_channel_free(struct tap_channel *ch)
{
	vfree(ch->data);
	ch->data = NULL;
}

static size_t room(const struct tap_channel *ch)
{
	return ch->size - (ch->head - ch->tail);
}

/* Copies in when all of it fits; false otherwise. */
static bool try_put(struct tap_channel *ch, const char *p, size_t n)
{
	unsigned long flags;
	size_t off, first;
	bool ok;

	spin_lock_irqsave(&ch->lock, flags);
	ok = room(ch) >= n;
	if (ok) {
		off = ch->head & (ch->size - 1);
		first = min(n, ch->size - off);
		memcpy(ch->data + off, p, first);
		memcpy(ch->data, p + first, n - first);
		ch->head += n;
	}
	spin_unlock_irqrestore(&ch->lock, flags);
	return ok;
}

void tap_channel_write(struct tap_channel *ch, const char *p, size_t n)
{
	bool worker = current == tap_rt.worker && preemptible();

	if (!n)
		return;
	if (n > ch->size) {
		atomic64_add(n, &ch->lost);
		return;
	}
	while (!try_put(ch, p, n)) {
		if (!worker || READ_ONCE(ch->reader_gone)) {
			atomic64_add(n, &ch->lost);
			return;
		}
		wake_up_interruptible(&ch->readable);
		wait_event_timeout(ch->writable,
				   room(ch) >= n || READ_ONCE(ch->reader_gone),
				   HZ / 10);
	}
	if (worker)
		wake_up_interruptible(&ch->readable);
}

void tap_channel_wake(void)
{
	wake_up_interruptible(&tap_rt.out.readable);
	wake_up_interruptible(&tap_rt.err.readable);
}

/*
 * read(2): what is there, at most `count` bytes; when the ring is empty,
 * 0 (end of file) once the session has stopped, else -EAGAIN for a
 * non-blocking reader or a wait of up to 100 ms for the blocking one.
 */
static ssize_t channel_read(struct file *f, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct tap_channel *ch = pde_data(file_inode(f));
	unsigned long flags;
	size_t avail, off, n;
	char *tmp;

	for (;;) {
		spin_lock_irqsave(&ch->lock, flags);
		avail = ch->head - ch->tail;
		spin_unlock_irqrestore(&ch->lock, flags);
		if (avail)
			break;
		if (atomic_read(&tap_rt.state) == TAP_STATE_STOPPED)
			return 0;
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible_timeout(ch->readable,
						     ch->head != ch->tail, HZ / 10) < 0)
			return -ERESTARTSYS;
	}
	n = min3(avail, count, (size_t)PAGE_SIZE * 4);
	tmp = kmalloc(n, GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	/* only this reader moves tail: copy out, then release the bytes */
	off = ch->tail & (ch->size - 1);
	memcpy(tmp, ch->data + off, min(n, ch->size - off));
	if (n > ch->size - off)
		memcpy(tmp + (ch->size - off), ch->data, n - (ch->size - off));
	if (copy_to_user(buf, tmp, n)) {
		kfree(tmp);
		return -EFAULT;
	}
	kfree(tmp);
	spin_lock_irqsave(&ch->lock, flags);
	ch->tail += n;
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up(&ch->writable);
	return n;
}

/* Without a reader, the worker must not wait for one. */
static int channel_release(struct inode *inode, struct file *f)
{
	struct tap_channel *ch = pde_data(inode);

	WRITE_ONCE(ch->reader_gone, true);
	wake_up(&ch->writable);
	return 0;
}

static int channel_open(struct inode *inode, struct file *f)
{
	struct tap_channel *ch = pde_data(inode);

	WRITE_ONCE(ch->reader_gone, false);
	return 0;
}

static const struct proc_ops channel_ops = {
	.proc_open = channel_open,
	.proc_read = channel_read,
	.proc_release = channel_release,
	.proc_lseek = noop_llseek,
};

int tap_channel_procfs(struct proc_dir_entry *dir)
{
	if (!proc_create_data("out", 0400, dir, &channel_ops, &tap_rt.out) ||
	    !proc_create_data("err", 0400, dir, &channel_ops, &tap_rt.err))
		return -ENOMEM;
	return 0;
}
